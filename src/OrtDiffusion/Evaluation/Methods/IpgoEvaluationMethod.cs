using OrtDiffusion.Ipgo;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// <c>ipgo:tokens=FILE[,last]</c>: generation with learned IPGO prefix and suffix tokens around the CLIP embedding of
/// each prompt (c = [P; E; S], the negative prompt padded to the same length). The best tokens of training by default,
/// the last ones with <c>last</c>. The run's sampling settings (steps, scheduler, guidance, size, seeds) are used, not
/// the ones stored in the tokens file, so every method of a run samples alike. Stable Diffusion only: the tokens live
/// in CLIP's embedding space.
/// </summary>
internal sealed class IpgoEvaluationMethod : IEvaluationMethod
{
    public const string Usage = "ipgo:tokens=FILE[,last] (Stable Diffusion only; samples with the run's --steps/--scheduler/--guidance/size and seeds, not the file's)";

    private IpgoEvaluationMethod(MethodSpec spec, string path, IpgoTokens tokens, bool best)
    {
        Spec = spec;
        TokensPath = path;
        Tokens = tokens;
        Best = best;
    }

    public MethodSpec Spec { get; }

    /// <summary>The tokens file, as a full path.</summary>
    public string TokensPath { get; }

    public IpgoTokens Tokens { get; }

    /// <summary>Whether the best tokens of training are used (false: the last ones).</summary>
    public bool Best { get; }

    public static IEvaluationMethod Create(MethodSpec spec, ExecutionOptions execution)
    {
        spec.RequireKnownOptions("tokens", "last");
        var file = spec.Get("tokens") ?? throw new FormatException($"Method '{spec.Text}': IPGO needs tokens=FILE (a tokens file written by 'ortdiff ipgo train').");
        var best = !spec.GetFlag("last");
        var path = Path.GetFullPath(file);
        IpgoTokens tokens;
        try
        {
            tokens = IpgoTokens.Load(path);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"Method '{spec.Text}': {e.Message}", path, e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Method '{spec.Text}': {e.Message}", e);
        }

        return new IpgoEvaluationMethod(spec, path, tokens, best);
    }

    /// <summary>Refuses PixArt-α, tokens of another text width, and prompts that leave no room for the tokens — before any image is generated.</summary>
    public void Prepare(EvaluationBackbone backbone, IReadOnlyList<string> prompts)
    {
        if (backbone.Backbone != DiffusionBackbone.StableDiffusion)
        {
            throw new NotSupportedException(
                $"Method '{Spec.Text}': IPGO tokens are learned in Stable Diffusion's CLIP embedding space, but '{backbone.Folder}' holds a {backbone.Backbone} model (T5 text encoder); evaluate ipgo on a Stable Diffusion model, or use fixed and date on this one.");
        }

        var encoder = backbone.StableDiffusion.Model.TextEncoder;
        var width = encoder.Encode(string.Empty, padded: false).Embedding.Shape[2];
        if (width != Tokens.TextWidth)
        {
            throw new InvalidDataException(
                $"Method '{Spec.Text}': the tokens in '{TokensPath}' are {Tokens.TextWidth} wide (learned on '{Tokens.Metadata.BaseModel}'), but the text encoder of '{backbone.Folder}' is {width} wide.");
        }

        var limit = encoder.Tokenizer.ModelMaxLength;
        var extra = Tokens.Prefix.Length + Tokens.Suffix.Length;
        var tooLong = prompts.Select((p, i) => (Prompt: p, Index: i, Count: encoder.Tokenizer.EncodeUnpadded(p).Length))
            .Where(p => p.Count + extra > limit)
            .ToList();
        if (tooLong.Count > 0)
        {
            var first = tooLong[0];
            throw new ArgumentException(
                $"Method '{Spec.Text}': {tooLong.Count} of the {prompts.Count} prompts do not fit with the {Tokens.Prefix.Length} prefix and {Tokens.Suffix.Length} suffix tokens in the {limit} tokens CLIP takes; "
                + $"the first is prompt #{first.Index} \"{first.Prompt}\" with {first.Count} tokens (start and end included). Shorten those prompts or leave them out.");
        }
    }

    public MethodSample Generate(EvaluationBackbone backbone, GenerationRequest request, CancellationToken cancellation)
    {
        var pipeline = backbone.StableDiffusion;
        var embeddings = Tokens.Embed(pipeline.Model.TextEncoder, request.Prompt, request.NegativePrompt, Best);
        return new MethodSample(pipeline.Generate(request with { Embeddings = embeddings }, cancellationToken: cancellation));
    }

    public void Dispose()
    {
    }
}
