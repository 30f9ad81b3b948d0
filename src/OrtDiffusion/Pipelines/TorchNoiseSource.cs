using OrtDiffusion.Randomness;
using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Pipelines;

/// <summary>Feeds stochastic scheduler steps (DDIM η &gt; 0, Euler churn) from the generation's torch-compatible generator.</summary>
internal sealed class TorchNoiseSource(TorchGenerator generator) : INoiseSource
{
    public void Fill(Span<float> destination) => generator.FillNormal(destination);
}
