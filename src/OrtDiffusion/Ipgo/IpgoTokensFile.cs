using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrtDiffusion.IO;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// The IPGO tokens file: a ZIP (readable by <c>numpy.load</c> as an <c>.npz</c>) holding <c>ipgo.json</c> (format,
/// library, metadata, hyperparameters, training state and history) and float32 <c>.npy</c> arrays:
/// <c>prefix/tokens</c> <c>[L_p, D]</c> and <c>suffix/tokens</c> (current), <c>best/prefix_tokens</c> and
/// <c>best/suffix_tokens</c> (when training kept a best), per module <c>basis_original</c> <c>[D, K]</c>,
/// <c>basis_base</c> <c>[D, D]</c>, <c>bias</c> <c>[D]</c>, <c>coefficients</c> <c>[L, K]</c> and <c>angles</c>
/// <c>[L, 2]</c> (raw, before the clamps), and Adam's <c>adam/exp_avg</c> and <c>adam/exp_avg_sq</c> over all
/// parameters in the order prefix (original, bias, coefficients, angles) then suffix.
/// </summary>
internal static class IpgoTokensFile
{
    public const string FormatName = "ortdiffusion.ipgo";
    public const int FormatVersion = 1;
    private const string Manifest = "ipgo.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Write(IpgoTokens tokens, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var history = tokens.History;
        var manifest = new ManifestDto
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            Library = $"OrtDiffusion {typeof(IpgoTokens).Assembly.GetName().Version}",
            BaseModel = tokens.Metadata.BaseModel,
            Reward = tokens.Metadata.Reward,
            Prompts = [.. tokens.Metadata.Prompts],
            TextWidth = tokens.TextWidth,
            ParameterCount = tokens.ParameterCount,
            Options = tokens.Options,
            State = new StateDto
            {
                EpochsDone = history.EpochsDone,
                AdamSteps = tokens.Optimizer.Steps,
                ScheduleSteps = tokens.LearningRate.StepsTaken,
                LearningRate = tokens.LearningRate.Current,
                BestReward = double.IsNaN(history.BestReward) ? null : history.BestReward,
                BestEpoch = history.BestEpoch,
                EpochRewards = [.. history.EpochRewards],
                GenerationRewards = [.. history.GenerationRewards],
                GradientNorms = [.. history.GradientNorms],
                Penalties = [.. history.Penalties],
            },
        };

        var arrays = new List<(string Name, float[] Data, long[] Shape)>
        {
            ("prefix/tokens", tokens.Prefix.Tokens().Data, [tokens.Prefix.Length, tokens.TextWidth]),
            ("suffix/tokens", tokens.Suffix.Tokens().Data, [tokens.Suffix.Length, tokens.TextWidth]),
        };
        if (history.BestPrefix is { } bestPrefix && history.BestSuffix is { } bestSuffix)
        {
            arrays.Add(("best/prefix_tokens", bestPrefix, [tokens.Prefix.Length, tokens.TextWidth]));
            arrays.Add(("best/suffix_tokens", bestSuffix, [tokens.Suffix.Length, tokens.TextWidth]));
        }

        AddModule(arrays, "prefix", tokens.Prefix);
        AddModule(arrays, "suffix", tokens.Suffix);
        arrays.Add(("adam/exp_avg", tokens.Optimizer.FirstMoment, [tokens.ParameterCount]));
        arrays.Add(("adam/exp_avg_sq", tokens.Optimizer.SecondMoment, [tokens.ParameterCount]));
        manifest.Arrays = arrays.ToDictionary(a => a.Name, a => a.Shape);

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var entry = Entry(zip, Manifest).Open())
            {
                JsonSerializer.Serialize(entry, manifest, Json);
            }

            foreach (var (name, data, shape) in arrays)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var entry = Entry(zip, name + ".npy").Open();
                NpyFile.Write(entry, NpyArray.Create(data, shape));
            }
        }, cancellationToken);
    }

    public static IpgoTokens Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The IPGO tokens file '{path}' does not exist.", path);
        }

        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not an IPGO tokens file (not a ZIP archive: {e.Message}).", e);
        }

        using (zip)
        {
            var manifest = ReadManifest(zip, path);
            var options = manifest.Options ?? throw Bad(path, Manifest, "has no 'options'");
            var state = manifest.State ?? throw Bad(path, Manifest, "has no 'state'");
            var d = manifest.TextWidth;
            try
            {
                options.Validate(d);
            }
            catch (ArgumentException e)
            {
                throw Bad(path, Manifest, $"has invalid options: {e.Message}");
            }

            var prefix = ReadModule(zip, path, "prefix", d, options.BasisSize, options.PrefixLength, options.Rotation);
            var suffix = ReadModule(zip, path, "suffix", d, options.BasisSize, options.SuffixLength, options.Rotation);
            var count = prefix.ParameterCount + suffix.ParameterCount;
            var adam = new AdamOptimizer(count, options.Beta1, options.Beta2, options.Epsilon);
            adam.Restore(state.AdamSteps, ReadArray(zip, path, "adam/exp_avg", [count]), ReadArray(zip, path, "adam/exp_avg_sq", [count]));
            var rate = new StepLearningRate(options.LearningRate, options.DecayEvery, options.DecayFactor);
            rate.Restore(state.ScheduleSteps, state.LearningRate);

            float[]? bestPrefix = null, bestSuffix = null;
            if (state.BestReward is not null)
            {
                bestPrefix = ReadArray(zip, path, "best/prefix_tokens", [options.PrefixLength, d]);
                bestSuffix = ReadArray(zip, path, "best/suffix_tokens", [options.SuffixLength, d]);
            }

            if (state.EpochRewards.Count != state.EpochsDone)
            {
                throw Bad(path, Manifest, $"records {state.EpochsDone} epochs but {state.EpochRewards.Count} epoch rewards");
            }

            var history = new IpgoHistory();
            history.Restore(state.EpochRewards, state.GenerationRewards, state.GradientNorms, state.Penalties, state.BestReward ?? double.NaN, state.BestEpoch, bestPrefix, bestSuffix);
            var metadata = new IpgoMetadata { BaseModel = manifest.BaseModel, Reward = manifest.Reward, Prompts = manifest.Prompts };
            return new IpgoTokens(options, metadata, prefix, suffix, adam, rate, history);
        }
    }

    private static void AddModule(List<(string, float[], long[])> arrays, string name, TokenModule module)
    {
        int d = module.Width, k = module.BasisSize, l = module.Length;
        var p = module.Parameters;
        arrays.Add(($"{name}/basis_original", p[..(d * k)], [d, k]));
        arrays.Add(($"{name}/basis_base", module.Basis.Base, [d, d]));
        arrays.Add(($"{name}/bias", p[module.BiasOffset..module.CoefficientsOffset], [d]));
        arrays.Add(($"{name}/coefficients", p[module.CoefficientsOffset..module.AnglesOffset], [l, k]));
        arrays.Add(($"{name}/angles", p[module.AnglesOffset..], [l, 2]));
    }

    private static TokenModule ReadModule(ZipArchive zip, string path, string name, int d, int k, int l, bool rotation)
    {
        float[] parameters =
        [
            .. ReadArray(zip, path, $"{name}/basis_original", [d, k]),
            .. ReadArray(zip, path, $"{name}/bias", [d]),
            .. ReadArray(zip, path, $"{name}/coefficients", [l, k]),
            .. ReadArray(zip, path, $"{name}/angles", [l, 2]),
        ];
        var buffer = ReadArray(zip, path, $"{name}/basis_base", [d, d]);
        try
        {
            return TokenModule.FromState(parameters, buffer, d, k, l, rotation);
        }
        catch (ArgumentException e)
        {
            throw Bad(path, name, e.Message);
        }
    }

    private static float[] ReadArray(ZipArchive zip, string path, string name, long[] shape)
    {
        var entry = zip.GetEntry(name + ".npy") ?? throw Bad(path, name + ".npy", "is missing");
        NpyArray array;
        using (var stream = entry.Open())
        {
            try
            {
                array = NpyFile.Read(stream, $"{path}:{name}.npy");
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException)
            {
                throw Bad(path, name + ".npy", e.Message);
            }
        }

        if (!array.Shape.SequenceEqual(shape) || array.ElementType != NpyElementType.Float32)
        {
            throw Bad(path, name + ".npy", $"is {array}, expected float32 [{string.Join(", ", shape)}]");
        }

        return array.GetData<float>();
    }

    private static ManifestDto ReadManifest(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(Manifest) ?? throw Bad(path, Manifest, "is missing; this is not an IPGO tokens file");
        ManifestDto? manifest;
        try
        {
            using var stream = entry.Open();
            manifest = JsonSerializer.Deserialize<ManifestDto>(stream, Json);
        }
        catch (JsonException e)
        {
            throw Bad(path, Manifest, $"is not valid: {e.Message}");
        }

        if (manifest is null || manifest.Format != FormatName)
        {
            throw Bad(path, Manifest, $"does not describe IPGO tokens (format '{manifest?.Format}', expected '{FormatName}')");
        }

        if (manifest.FormatVersion != FormatVersion)
        {
            throw Bad(path, Manifest, $"has format_version {manifest.FormatVersion}; this library reads {FormatVersion}");
        }

        return manifest;
    }

    private static ZipArchiveEntry Entry(ZipArchive zip, string name)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime; // the same content gives the same bytes
        return entry;
    }

    private static InvalidDataException Bad(string path, string part, string problem) => new($"IPGO tokens file '{path}': {part} {problem}.");

    private sealed class ManifestDto
    {
        public string Format { get; set; } = string.Empty;

        public int FormatVersion { get; set; }

        public string Library { get; set; } = string.Empty;

        public string BaseModel { get; set; } = string.Empty;

        public string Reward { get; set; } = string.Empty;

        public List<string> Prompts { get; set; } = [];

        public int TextWidth { get; set; }

        public int ParameterCount { get; set; }

        public IpgoOptions? Options { get; set; }

        public StateDto? State { get; set; }

        public Dictionary<string, long[]> Arrays { get; set; } = [];
    }

    private sealed class StateDto
    {
        public int EpochsDone { get; set; }

        public long AdamSteps { get; set; }

        public int ScheduleSteps { get; set; }

        public double LearningRate { get; set; }

        public double? BestReward { get; set; }

        public int BestEpoch { get; set; } = -1;

        public List<double> EpochRewards { get; set; } = [];

        public List<float> GenerationRewards { get; set; } = [];

        public List<double> GradientNorms { get; set; } = [];

        public List<double> Penalties { get; set; } = [];
    }
}
