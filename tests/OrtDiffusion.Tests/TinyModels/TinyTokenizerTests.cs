using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>
/// The zoo's tiny CLIP BPE: compared with an independent Python trainer and encoder
/// (Reference/tiny_bpe_reference.py → Fixtures/tinymodels/tiny_bpe_expected.json) and read by the library's own
/// CLIP tokenizer the way it reads Hugging Face tokenizer folders.
/// </summary>
[Collection(ZooCollection.Name)]
public sealed class TinyTokenizerTests(ZooFixture zoo)
{
    private static readonly Lazy<JsonElement> Expected = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "tinymodels", "tiny_bpe_expected.json"))).RootElement);

    private string Folder => Path.Combine(zoo.StableDiffusion, "tokenizer");

    [Fact]
    public void Merges_file_equals_the_python_reference_training()
    {
        var merges = File.ReadAllBytes(Path.Combine(Folder, "merges.txt"));
        Assert.Equal(Expected.Value.GetProperty("merges_txt_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(merges)));
        var lines = Encoding.UTF8.GetString(merges).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#version: 0.2", lines[0]);
        Assert.Equal(Expected.Value.GetProperty("merge_count").GetInt32(), lines.Length - 1);
        Assert.Equal(Expected.Value.GetProperty("first_merges").EnumerateArray().Select(e => e.GetString()), lines.Skip(1).Take(10));
    }

    [Fact]
    public void Vocabulary_is_laid_out_as_clips_bytes_then_word_ends_then_merges_then_specials()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "vocab.json")));
        var vocab = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(Expected.Value.GetProperty("vocab_size").GetInt32(), vocab.Count);
        Assert.Equal(0, vocab["!"]);
        Assert.Equal(64, vocab["a"]);          // as in CLIP's vocabulary
        Assert.Equal(256, vocab["!</w>"]);
        Assert.Equal(320, vocab["a</w>"]);     // CLIP's id for "a" too
        Assert.Equal(188, vocab["Ā"]);         // byte 0 maps to U+0100, listed after the 188 printable bytes
        Assert.Equal(512, vocab["in"]);        // the first merge
        Assert.Equal(vocab.Count - 2, vocab["<|startoftext|>"]);
        Assert.Equal(vocab.Count - 1, vocab["<|endoftext|>"]);
        Assert.Equal(Enumerable.Range(0, vocab.Count), vocab.Values.Order());
    }

    [Fact]
    public void Library_tokenizer_reads_the_folder_and_agrees_with_the_python_reference()
    {
        var tokenizer = ClipTokenizer.FromFolder(Folder);
        Assert.Equal(77, tokenizer.ModelMaxLength);
        Assert.Equal(tokenizer.VocabularySize - 2, tokenizer.BosId);
        Assert.Equal(tokenizer.VocabularySize - 1, tokenizer.EosId);
        Assert.Equal(tokenizer.EosId, tokenizer.PadId);
        foreach (var c in Expected.Value.GetProperty("cases").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, tokenizer.EncodeUnpadded(text).Ids);
        }
    }

    [Fact]
    public void Every_corpus_word_is_one_token_and_other_words_still_encode_and_round_trip()
    {
        var tokenizer = ClipTokenizer.FromFolder(Folder);
        var words = Expected.Value.GetProperty("corpus_words").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains("astronaut", words);
        Assert.Contains("sunset", words);
        foreach (var word in words)
        {
            Assert.True(tokenizer.EncodeContent(word).Length == 1, $"'{word}' is not a single token");
        }

        var unusual = tokenizer.EncodeContent("xylophone ünïcödé");
        Assert.True(unusual.Length > 5);
        Assert.Equal("xylophone ünïcödé", tokenizer.Decode(unusual));
    }

    [Fact]
    public void Hugging_face_config_files_name_the_special_tokens_and_length()
    {
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "tokenizer_config.json"))).RootElement;
        Assert.Equal(77, config.GetProperty("model_max_length").GetInt32());
        Assert.Equal("<|startoftext|>", config.GetProperty("bos_token").GetProperty("content").GetString());
        Assert.Equal("<|endoftext|>", config.GetProperty("eos_token").GetProperty("content").GetString());
        Assert.Equal("<|endoftext|>", config.GetProperty("pad_token").GetString());
        Assert.Equal("CLIPTokenizer", config.GetProperty("tokenizer_class").GetString());
        var special = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "special_tokens_map.json"))).RootElement;
        Assert.Equal("<|endoftext|>", special.GetProperty("pad_token").GetString());
        Assert.Equal("<|startoftext|>", special.GetProperty("bos_token").GetProperty("content").GetString());
    }
}
