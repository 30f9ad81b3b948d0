using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using OrtDiffusion.Text;

namespace OrtDiffusion.Models;

/// <summary>
/// PixArt-α's T5 encoder with its SentencePiece tokenizer: <c>input_ids</c>, <c>attention_mask</c> →
/// <c>last_hidden_state</c> <c>[batch, sequence, width]</c>. Prompts are padded to <see cref="MaxSequenceLength"/>
/// (120, diffusers' <c>max_sequence_length</c>) with a 0/1 attention mask that goes to the encoder and, with the
/// embedding, to the transformer. Ids and mask go in as int32 or int64, whichever the model declares.
/// </summary>
public sealed class T5TextEncoder : OnnxComponent
{
    private readonly string idsName;
    private readonly string maskName;
    private readonly string outputName;
    private readonly TensorElementType idType;
    private readonly TensorElementType maskType;

    /// <summary>Opens the encoder at <paramref name="modelPath"/> with <paramref name="tokenizer"/>.</summary>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="tokenizer">T5's SentencePiece tokenizer.</param>
    /// <param name="options">Device and threads.</param>
    /// <param name="maxSequenceLength">Tokens per prompt, padded or truncated (120 as PixArt-α).</param>
    public T5TextEncoder(string modelPath, T5Tokenizer tokenizer, ExecutionOptions options, int maxSequenceLength = T5Tokenizer.PixArtMaxLength)
        : base(modelPath, "T5 text encoder", options)
    {
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        var ids = RequireInput("token ids [batch, sequence]", "input_ids");
        var mask = RequireInput("the attention mask [batch, sequence] (1 for tokens, 0 for padding)", "attention_mask");
        RequireType(ids, TensorElementType.Int32, TensorElementType.Int64);
        RequireRank(ids, 2, "[batch, sequence]");
        RequireType(mask, TensorElementType.Int32, TensorElementType.Int64);
        RequireRank(mask, 2, "[batch, sequence]");
        var output = RequireOutput("the per-token embeddings", orFirst: true, "last_hidden_state");
        idsName = ids.Name;
        maskName = mask.Name;
        outputName = output.Name;
        idType = ids.ElementType;
        maskType = mask.ElementType;
        var fixedLength = ids.Shape[1] > 0 ? (int)ids.Shape[1] : -1;
        if (fixedLength > 0 && fixedLength != maxSequenceLength)
        {
            throw new InvalidDataException($"The T5 text encoder '{modelPath}' takes exactly {fixedLength} tokens ({ids.Name} {ids.ShapeText}); the pipeline pads prompts to {maxSequenceLength}.");
        }

        MaxSequenceLength = maxSequenceLength;
    }

    /// <summary>The tokenizer.</summary>
    public T5Tokenizer Tokenizer { get; }

    /// <summary>Tokens per prompt (padded or truncated, EOS kept last).</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Tokenizes <paramref name="prompt"/> as written (padded to <see cref="MaxSequenceLength"/>) and encodes it → <c>[1, length, width]</c>.</summary>
    public PromptEncoding Encode(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var tokens = Tokenizer.Encode(prompt, MaxSequenceLength);
        return new PromptEncoding(prompt, tokens, EncodeTokens(tokens));
    }

    /// <summary>Runs the encoder on one tokenized prompt (ids and mask) → <c>[1, length, width]</c>.</summary>
    public FloatTensor EncodeTokens(TokenizedText tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        long[] shape = [1, tokens.Length];
        using var ids = idType == TensorElementType.Int64
            ? OrtValue.CreateTensor(tokens.IdsAsInt64(), shape)
            : OrtValue.CreateTensor((int[])tokens.Ids.Clone(), shape);
        using var mask = maskType == TensorElementType.Int64
            ? OrtValue.CreateTensor(tokens.AttentionMaskAsInt64(), shape)
            : OrtValue.CreateTensor((int[])tokens.AttentionMask.Clone(), shape);
        using var outputs = Session.Run(new Dictionary<string, OrtValue> { [idsName] = ids, [maskName] = mask }, [outputName]);
        var value = outputs[0];
        var data = new float[value.ElementCount];
        UNetModel.Read(value, data);
        if (!FloatTensor.AllFinite(data))
        {
            throw new InvalidDataException($"The T5 text encoder '{ModelPath}' produced non-finite embeddings.");
        }

        return new FloatTensor(data, value.Shape.ToArray());
    }
}
