using OrtDiffusion.Runtime;

namespace OrtDiffusion.Rewards;

/// <summary>One prompt-derived model input, computed once per prompt.</summary>
/// <param name="Name">The reward model's input name.</param>
/// <param name="Data">A <c>float[]</c>, <c>long[]</c> or <c>int[]</c>.</param>
/// <param name="Shape">Its shape for one prompt: <c>[1, length]</c> for tokens, <c>[rows, features]</c> for text features.</param>
/// <param name="RepeatPerImage">Token inputs are repeated to one row per image; text features broadcast as they are.</param>
internal sealed record TextFeature(string Name, Array Data, long[] Shape, bool RepeatPerImage)
{
    /// <summary>An ONNX Runtime tensor over the data (or over a copy repeated to <paramref name="batch"/> rows).</summary>
    public OrtValue ToOrtValue(int batch)
    {
        var rows = RepeatPerImage ? batch : 1;
        long[] shape = RepeatPerImage ? [batch, .. Shape[1..]] : Shape;
        return Data switch
        {
            float[] f => OrtValue.CreateTensor(Repeat(f, rows), shape),
            long[] l => OrtValue.CreateTensor(Repeat(l, rows), shape),
            int[] i => OrtValue.CreateTensor(Repeat(i, rows), shape),
            _ => throw new InvalidOperationException($"Internal error: text feature '{Name}' holds {Data.GetType().Name}."),
        };
    }

    private static T[] Repeat<T>(T[] row, int rows)
    {
        if (rows == 1)
        {
            return row;
        }

        var data = new T[row.Length * rows];
        for (var r = 0; r < rows; r++)
        {
            row.CopyTo(data, r * row.Length);
        }

        return data;
    }
}

/// <summary>Everything a reward model needs from one prompt.</summary>
/// <param name="Inputs">The prompt-derived inputs, in manifest order.</param>
internal sealed record PromptFeatures(IReadOnlyList<TextFeature> Inputs)
{
    public static PromptFeatures None { get; } = new([]);
}
