using System.Text;
using System.Text.Json;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.TinyModels.Layout;
using static OrtDiffusion.TinyModels.Tokenizer.TinyClipVocabulary;

namespace OrtDiffusion.TinyModels.Tokenizer;

/// <summary>Writes a Hugging Face <c>CLIPTokenizer</c> folder: <c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>.</summary>
internal static class TokenizerFiles
{
    /// <summary>OpenCLIP's padding: <c>open_clip.tokenize</c> pads with id 0, which is <c>!</c> in CLIP's vocabulary.</summary>
    public const string OpenClipPad = "!";

    /// <param name="folder">The tokenizer folder.</param>
    /// <param name="vocabulary">The vocabulary.</param>
    /// <param name="padToken">The pad token: <c>&lt;|endoftext|&gt;</c> as SD v1.5 / CLIP, or <see cref="OpenClipPad"/> as OpenCLIP models.</param>
    public static void Write(string folder, TinyClipVocabulary vocabulary, string padToken = EndOfText)
    {
        Directory.CreateDirectory(folder);
        JsonFile.WriteObject(Path.Combine(folder, "vocab.json"), w =>
        {
            for (var id = 0; id < vocabulary.Tokens.Count; id++)
            {
                w.WriteNumber(vocabulary.Tokens[id], id);
            }
        },
        compact: true);

        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in vocabulary.Merges)
        {
            merges.Append(left).Append(' ').Append(right).Append('\n');
        }

        AtomicWrite.File(Path.Combine(folder, "merges.txt"), s => s.Write(Encoding.UTF8.GetBytes(merges.ToString())));

        JsonFile.WriteObject(Path.Combine(folder, "tokenizer_config.json"), w =>
        {
            w.WriteBoolean("add_prefix_space", false);
            AddedToken(w, "bos_token", StartOfText, withType: true);
            w.WriteBoolean("do_lower_case", true);
            AddedToken(w, "eos_token", EndOfText, withType: true);
            w.WriteString("errors", "replace");
            w.WriteNumber("model_max_length", Models.TinyArchitecture.MaxTextLength);
            w.WriteString("name_or_path", "ortdiffusion/tiny-clip");
            w.WriteString("pad_token", padToken);
            w.WriteString("special_tokens_map_file", "./special_tokens_map.json");
            w.WriteString("tokenizer_class", "CLIPTokenizer");
            AddedToken(w, "unk_token", EndOfText, withType: true);
        });

        JsonFile.WriteObject(Path.Combine(folder, "special_tokens_map.json"), w =>
        {
            AddedToken(w, "bos_token", StartOfText, withType: false);
            AddedToken(w, "eos_token", EndOfText, withType: false);
            w.WriteString("pad_token", padToken);
            AddedToken(w, "unk_token", EndOfText, withType: false);
        });
    }

    private static void AddedToken(Utf8JsonWriter w, string name, string content, bool withType)
    {
        w.WriteStartObject(name);
        if (withType)
        {
            w.WriteString("__type", "AddedToken");
        }

        w.WriteString("content", content);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("normalized", true);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("single_word", false);
        w.WriteEndObject();
    }
}
