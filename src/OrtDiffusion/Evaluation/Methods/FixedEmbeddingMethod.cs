using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary><c>fixed</c>: the baseline — the prompt's embedding as the text encoder gives it, standard CFG sampling (any backbone).</summary>
internal sealed class FixedEmbeddingMethod(MethodSpec spec) : IEvaluationMethod
{
    public const string Usage = "fixed";

    public MethodSpec Spec { get; } = spec;

    public static IEvaluationMethod Create(MethodSpec spec, ExecutionOptions execution)
    {
        spec.RequireKnownOptions();
        return new FixedEmbeddingMethod(spec);
    }

    public MethodSample Generate(EvaluationBackbone backbone, GenerationRequest request, CancellationToken cancellation) =>
        new(backbone.Pipeline.Generate(request, cancellationToken: cancellation));

    public void Dispose()
    {
    }
}
