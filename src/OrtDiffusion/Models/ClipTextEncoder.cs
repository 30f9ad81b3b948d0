using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using OrtDiffusion.Text;

namespace OrtDiffusion.Models;

/// <summary>
/// The CLIP text encoder with its tokenizer: prompts → <c>last_hidden_state</c> <c>[batch, sequence, width]</c>.
/// Takes int32 or int64 <c>input_ids</c>, whichever the model declares.
/// </summary>
public sealed class ClipTextEncoder : OnnxComponent
{
    private readonly string inputName;
    private readonly string outputName;
    private readonly TensorElementType idType;

    /// <summary>Opens the encoder at <paramref name="modelPath"/> with <paramref name="tokenizer"/>.</summary>
    public ClipTextEncoder(string modelPath, ClipTokenizer tokenizer, ExecutionOptions options)
        : base(modelPath, "text encoder", options)
    {
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        var input = RequireInput("token ids [batch, sequence]", "input_ids");
        RequireType(input, TensorElementType.Int32, TensorElementType.Int64);
        RequireRank(input, 2, "[batch, sequence]");
        var output = RequireOutput("the per-token embeddings", orFirst: true, "last_hidden_state");
        inputName = input.Name;
        outputName = output.Name;
        idType = input.ElementType;
        FixedLength = input.Shape[1] > 0 ? (int)input.Shape[1] : -1;
    }

    /// <summary>The tokenizer.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <summary>The sequence length the model fixes, or −1 when symbolic.</summary>
    public int FixedLength { get; }

    /// <summary>
    /// Encodes <paramref name="prompt"/> padded (or truncated) to the tokenizer's maximum length, as diffusers does;
    /// or, with <paramref name="padded"/> false, as BOS + tokens + EOS only (IPGO).
    /// </summary>
    public PromptEncoding Encode(string prompt, bool padded = true)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var tokens = padded ? Tokenizer.Encode(prompt) : Tokenizer.EncodeUnpadded(prompt);
        return new PromptEncoding(prompt, tokens, EncodeIds(tokens.Ids));
    }

    /// <summary>Runs the encoder on one sequence of token ids → <c>[1, length, width]</c>.</summary>
    public FloatTensor EncodeIds(int[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (FixedLength > 0 && ids.Length != FixedLength)
        {
            throw new ArgumentException($"The text encoder '{ModelPath}' takes exactly {FixedLength} tokens; got {ids.Length}.", nameof(ids));
        }

        long[] shape = [1, ids.Length];
        using var input = idType == TensorElementType.Int64
            ? OrtValue.CreateTensor(Array.ConvertAll(ids, i => (long)i), shape)
            : OrtValue.CreateTensor((int[])ids.Clone(), shape);
        using var outputs = Session.Run(new Dictionary<string, OrtValue> { [inputName] = input }, [outputName]);
        var value = outputs[0];
        var data = new float[value.ElementCount];
        UNetModel.Read(value, data);
        if (!FloatTensor.AllFinite(data))
        {
            throw new InvalidDataException($"The text encoder '{ModelPath}' produced non-finite embeddings.");
        }

        return new FloatTensor(data, value.Shape.ToArray());
    }
}

/// <summary>A prompt, its tokens and its embedding <c>[1, sequence, width]</c>.</summary>
/// <param name="Prompt">The text.</param>
/// <param name="Tokens">Its token ids and whether it was truncated.</param>
/// <param name="Embedding">The encoder's output.</param>
public sealed record PromptEncoding(string Prompt, TokenizedText Tokens, FloatTensor Embedding)
{
    /// <summary>The tokens' attention mask as <c>[1, sequence]</c> of 0/1 values (1 for real tokens).</summary>
    public FloatTensor AttentionMask() => new(Array.ConvertAll(Tokens.AttentionMask, static m => (float)m), 1, Tokens.Length);
}
