using OrtDiffusion.Models;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// The text side of IPGO: the prompt encoded without padding (BOS, tokens, EOS: E <c>[1, L, D]</c>), the embedding
/// c = [P; E; S] <c>[1, L_p + L + L_s, D]</c>, and the unconditional embedding of <c>""</c> (or a negative prompt) padded
/// to the same length.
/// </summary>
public static class IpgoText
{
    /// <summary>E for <paramref name="prompt"/>, refusing prompts that leave no room for the prefix and suffix.</summary>
    /// <exception cref="IpgoPromptTooLongException">L + L_p + L_s exceeds the tokenizer's maximum length.</exception>
    public static FloatTensor EncodePrompt(ClipTextEncoder encoder, string prompt, int prefixLength, int suffixLength)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(prompt);
        var tokens = encoder.Tokenizer.EncodeUnpadded(prompt);
        var limit = encoder.Tokenizer.ModelMaxLength;
        if (tokens.Length + prefixLength + suffixLength > limit)
        {
            throw new IpgoPromptTooLongException(prompt, tokens.Length, prefixLength, suffixLength, limit);
        }

        return Run(encoder, tokens.Ids);
    }

    /// <summary>The encoder output of <paramref name="negativePrompt"/> (usually <c>""</c>) padded to <paramref name="length"/> tokens.</summary>
    /// <exception cref="ArgumentException">The negative prompt has more than <paramref name="length"/> tokens.</exception>
    public static FloatTensor EncodeUnconditional(ClipTextEncoder encoder, string negativePrompt, int length)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(negativePrompt);
        var tokens = encoder.Tokenizer.Encode(negativePrompt, length, padToMaxLength: true, truncate: false);
        if (tokens.Length > length)
        {
            throw new ArgumentException($"The negative prompt \"{negativePrompt}\" has {tokens.Length} tokens; with IPGO tokens the sequence is {length} long, so it must not have more.", nameof(negativePrompt));
        }

        return Run(encoder, tokens.Ids);
    }

    /// <summary>c = [P; E; S]: <paramref name="prefix"/> <c>[L_p, D]</c>, <paramref name="prompt"/> <c>[1, L, D]</c>, <paramref name="suffix"/> <c>[L_s, D]</c>.</summary>
    public static FloatTensor Concatenate(FloatTensor prefix, FloatTensor prompt, FloatTensor suffix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(suffix);
        var d = prompt.Shape[^1];
        if (prompt.Shape.Length != 3 || prompt.Shape[0] != 1 || prefix.Shape[^1] != d || suffix.Shape[^1] != d)
        {
            throw new ArgumentException($"IPGO joins tokens [L_p, D], a prompt embedding [1, L, D] and tokens [L_s, D]; got {FloatTensor.ShapeText(prefix.Shape)}, {FloatTensor.ShapeText(prompt.Shape)} and {FloatTensor.ShapeText(suffix.Shape)}.");
        }

        var data = new float[prefix.Length + prompt.Length + suffix.Length];
        prefix.Data.CopyTo(data, 0);
        prompt.Data.CopyTo(data, prefix.Length);
        suffix.Data.CopyTo(data, prefix.Length + prompt.Length);
        return new FloatTensor(data, 1, data.Length / d, d);
    }

    // Encoders exported with a fixed sequence length get the ids padded to it; CLIP's causal attention makes row p
    // depend on tokens ≤ p only, so the first rows of the padded output are the unpadded output.
    private static FloatTensor Run(ClipTextEncoder encoder, int[] ids)
    {
        if (encoder.FixedLength <= 0 || encoder.FixedLength == ids.Length)
        {
            return encoder.EncodeIds(ids);
        }

        var padded = new int[encoder.FixedLength];
        Array.Fill(padded, encoder.Tokenizer.PadId);
        ids.CopyTo(padded, 0);
        var full = encoder.EncodeIds(padded);
        var d = full.Shape[2];
        return new FloatTensor(full.Data[..(int)(ids.Length * d)], 1, ids.Length, d);
    }
}
