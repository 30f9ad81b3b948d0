using OrtDiffusion.Runtime;

namespace OrtDiffusion.Rewards;

/// <summary>Compares a reward folder's models with what its manifest says about them, from the ONNX metadata.</summary>
internal static class RewardContract
{
    /// <summary>
    /// The reward model: the image input is float <c>[batch, 3, H, W]</c>, token inputs are int32/int64 rank 2, a
    /// <c>text_embeds</c> input is float rank 2, the manifest names every input, and the output is float rank 1.
    /// </summary>
    public static void CheckRewardModel(InferenceSession session, RewardManifest manifest, string folder)
    {
        var where = $"Reward folder '{folder}': model '{session.ModelPath}'";
        var image = Input(session, manifest.ImageInput, "image_input", where);
        Require(image.ElementType == TensorElementType.Float && image.Rank == 4, where, $"image input '{image.Name}' is {Describe(image)}; reward.json needs float [batch, 3, height, width]");
        Require(image.Shape[1] is -1 or 3, where, $"image input '{image.Name}' is {Describe(image)}; it must take 3 (RGB) channels");

        foreach (var text in manifest.TextInputs)
        {
            var input = Input(session, text.Name, "text_inputs", where);
            if (text.Kind == RewardTextInputKind.TextEmbeds)
            {
                Require(input.ElementType == TensorElementType.Float && input.Rank == 2, where, $"text input '{input.Name}' (text_embeds) is {Describe(input)}; it must be float [rows, features]");
            }
            else
            {
                Require(IsTokenType(input.ElementType) && input.Rank == 2, where, $"text input '{input.Name}' ({Kind(text.Kind)}) is {Describe(input)}; it must be int32 or int64 [batch, length]");
            }
        }

        var described = manifest.TextInputs.Select(t => t.Name).Append(manifest.ImageInput).ToHashSet(StringComparer.Ordinal);
        var extra = session.Inputs.Where(i => !described.Contains(i.Name)).Select(i => $"'{i.Name}'").ToList();
        Require(extra.Count == 0, where, $"input(s) {string.Join(", ", extra)} are not described by reward.json (image_input, text_inputs)");

        var output = session.Outputs.FirstOrDefault(o => o.Name == manifest.Output)
            ?? throw Mismatch(where, $"has no output '{manifest.Output}' (reward.json 'output'); its outputs are {Names(session.Outputs)}");
        Require(output.ElementType == TensorElementType.Float && output.Rank == 1, where, $"output '{output.Name}' is {Describe(output)}; a reward returns float [batch]");
    }

    /// <summary>The text model: its token input (and mask, when named) is int32/int64 rank 2 and its output float rank 2.</summary>
    public static void CheckTextModel(InferenceSession session, RewardTextModel text, string folder)
    {
        var where = $"Reward folder '{folder}': text model '{session.ModelPath}'";
        var ids = Input(session, text.InputIds, "text_model.input_ids", where);
        Require(IsTokenType(ids.ElementType) && ids.Rank == 2, where, $"input '{ids.Name}' is {Describe(ids)}; it must be int32 or int64 [batch, length]");
        var named = new HashSet<string>(StringComparer.Ordinal) { text.InputIds };
        if (text.AttentionMask is { } maskName)
        {
            var mask = Input(session, maskName, "text_model.attention_mask", where);
            Require(IsTokenType(mask.ElementType) && mask.Rank == 2, where, $"input '{mask.Name}' is {Describe(mask)}; it must be int32 or int64 [batch, length]");
            named.Add(maskName);
        }

        var extra = session.Inputs.Where(i => !named.Contains(i.Name)).Select(i => $"'{i.Name}'").ToList();
        Require(extra.Count == 0, where, $"input(s) {string.Join(", ", extra)} are not described by reward.json (text_model)");
        var output = session.Outputs.FirstOrDefault(o => o.Name == text.Output)
            ?? throw Mismatch(where, $"has no output '{text.Output}' (reward.json 'text_model.output'); its outputs are {Names(session.Outputs)}");
        Require(output.ElementType == TensorElementType.Float && output.Rank == 2, where, $"output '{output.Name}' is {Describe(output)}; it must be float [batch, features]");
    }

    public static bool IsTokenType(TensorElementType type) => type is TensorElementType.Int64 or TensorElementType.Int32;

    private static NodeMetadata Input(InferenceSession session, string name, string key, string where) =>
        session.Inputs.FirstOrDefault(i => i.Name == name)
        ?? throw Mismatch(where, $"has no input '{name}' (reward.json '{key}'); its inputs are {Names(session.Inputs)}");

    private static void Require(bool condition, string where, string problem)
    {
        if (!condition)
        {
            throw Mismatch(where, problem);
        }
    }

    private static InvalidDataException Mismatch(string where, string problem) => new($"{where} does not match reward.json: {problem}.");

    private static string Describe(NodeMetadata node) => $"{node.ElementType}{node.ShapeText}";

    private static string Names(IEnumerable<NodeMetadata> nodes) => string.Join(", ", nodes.Select(n => n.ToString()));

    private static string Kind(RewardTextInputKind kind) => kind == RewardTextInputKind.InputIds ? "input_ids" : "attention_mask";
}
