using System.Globalization;
using System.Text.Json;
using OrtDiffusion.TinyModels.Layout;
using static OrtDiffusion.TinyModels.PixArt.PixArtArchitecture;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// Writes a Hugging Face <c>T5Tokenizer</c> folder as PixArt-α ships it: <c>spiece.model</c>,
/// <c>special_tokens_map.json</c> and <c>tokenizer_config.json</c> (with the <c>&lt;extra_id_N&gt;</c> sentinels).
/// </summary>
internal static class T5TokenizerFiles
{
    public static void Write(string folder, TinyUnigramVocabulary vocabulary)
    {
        Directory.CreateDirectory(folder);
        SentencePieceModelWriter.Write(Path.Combine(folder, "spiece.model"), vocabulary);

        JsonFile.WriteObject(Path.Combine(folder, "special_tokens_map.json"), w =>
        {
            Sentinels(w);
            w.WriteString("eos_token", TinyUnigramVocabulary.Eos);
            w.WriteString("pad_token", TinyUnigramVocabulary.Pad);
            w.WriteString("unk_token", TinyUnigramVocabulary.Unk);
        });

        JsonFile.WriteObject(Path.Combine(folder, "tokenizer_config.json"), w =>
        {
            Sentinels(w);
            w.WriteBoolean("clean_up_tokenization_spaces", true);
            w.WriteString("eos_token", TinyUnigramVocabulary.Eos);
            w.WriteNumber("extra_ids", ExtraIds);
            w.WriteBoolean("legacy", true);
            w.WriteNumber("model_max_length", 512);
            w.WriteString("pad_token", TinyUnigramVocabulary.Pad);
            w.WriteStartObject("sp_model_kwargs");
            w.WriteEndObject();
            w.WriteString("tokenizer_class", "T5Tokenizer");
            w.WriteString("unk_token", TinyUnigramVocabulary.Unk);
        });
    }

    private static void Sentinels(Utf8JsonWriter w)
    {
        w.WriteStartArray("additional_special_tokens");
        for (var i = 0; i < ExtraIds; i++)
        {
            w.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"<extra_id_{i}>"));
        }

        w.WriteEndArray();
    }
}
