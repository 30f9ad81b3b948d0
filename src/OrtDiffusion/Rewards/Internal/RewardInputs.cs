using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>The named input tensors of one reward-model run; owns (and disposes) them.</summary>
internal sealed class RewardInputs : IDisposable
{
    private readonly List<string> names = [];
    private readonly List<OrtValue> values = [];

    /// <summary>The image batch (used in place, not copied) and the prompt's inputs repeated to the batch.</summary>
    public static RewardInputs Create(RewardManifest manifest, FloatTensor images, PromptFeatures prompt)
    {
        var inputs = new RewardInputs();
        try
        {
            inputs.Add(manifest.ImageInput, OrtValue.CreateTensor(images.Data, images.Shape));
            foreach (var feature in prompt.Inputs)
            {
                inputs.Add(feature.Name, feature.ToOrtValue(images.BatchSize));
            }

            return inputs;
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    public ReadOnlySpan<string> Names => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(names);

    public ReadOnlySpan<OrtValue> Values => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values);

    public void Add(string name, OrtValue value)
    {
        names.Add(name);
        values.Add(value);
    }

    public void Dispose()
    {
        foreach (var v in values)
        {
            v.Dispose();
        }

        values.Clear();
        names.Clear();
    }
}
