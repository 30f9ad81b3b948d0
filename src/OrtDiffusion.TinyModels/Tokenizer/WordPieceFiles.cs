using System.Text;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.TinyModels.Layout;
using static OrtDiffusion.TinyModels.Tokenizer.TinyWordPieceVocabulary;

namespace OrtDiffusion.TinyModels.Tokenizer;

/// <summary>Writes a Hugging Face <c>BertTokenizer</c> folder (bert-base-uncased style): <c>vocab.txt</c>, <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>.</summary>
internal static class WordPieceFiles
{
    public static void Write(string folder, TinyWordPieceVocabulary vocabulary)
    {
        Directory.CreateDirectory(folder);
        var text = new StringBuilder();
        foreach (var token in vocabulary.Tokens)
        {
            text.Append(token).Append('\n');
        }

        AtomicWrite.File(Path.Combine(folder, "vocab.txt"), s => s.Write(Encoding.UTF8.GetBytes(text.ToString())));
        JsonFile.WriteObject(Path.Combine(folder, "tokenizer_config.json"), w =>
        {
            w.WriteString("cls_token", Classifier);
            w.WriteBoolean("do_lower_case", true);
            w.WriteString("mask_token", Mask);
            w.WriteNumber("model_max_length", 512);
            w.WriteString("name_or_path", "ortdiffusion/tiny-bert");
            w.WriteString("pad_token", Pad);
            w.WriteString("sep_token", Separator);
            w.WriteNull("strip_accents");
            w.WriteBoolean("tokenize_chinese_chars", true);
            w.WriteString("tokenizer_class", "BertTokenizer");
            w.WriteString("unk_token", Unknown);
        });
        JsonFile.WriteObject(Path.Combine(folder, "special_tokens_map.json"), w =>
        {
            w.WriteString("cls_token", Classifier);
            w.WriteString("mask_token", Mask);
            w.WriteString("pad_token", Pad);
            w.WriteString("sep_token", Separator);
            w.WriteString("unk_token", Unknown);
        });
    }
}
