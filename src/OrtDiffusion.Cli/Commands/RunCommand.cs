using System.CommandLine;
using OrtDiffusion.IO;
using OrtDiffusion.Runtime;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff run --model M.onnx --input NAME=FILE.npy… --out DIR</c>: runs any model on .npy inputs.</summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<FileInfo>("--model") { Description = "The ONNX model file.", Required = true };
        var inputs = new Option<string[]>("--input") { Description = "An input as NAME=FILE.npy (repeat for each input).", AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.OneOrMore, Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write each output into as <output>.npy.", Required = true };
        var device = DeviceOption.Create();
        var command = new Command("run", "Run an ONNX model on NumPy inputs and write every output as .npy.") { model, inputs, output, device };
        command.SetAction(r => CliApplication.Guard(context, () => Execute(context, r.GetValue(model)!.FullName, r.GetValue(inputs)!, r.GetValue(output)!.FullName, r.GetValue(device))));
        return command;
    }

    private static int Execute(CliContext context, string modelPath, string[] inputSpecs, string outputFolder, ExecutionDevice device)
    {
        using var options = SessionOptions.ForDevice(device);
        using var session = new InferenceSession(modelPath, options);
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var spec in inputSpecs)
            {
                var (name, file) = ParseSpec(spec);
                var input = session.GetInput(name);
                values[name] = NpyTensors.ToOrtValue(NpyFile.Read(file), input.ElementType, $"'{file}' (input '{name}')");
            }

            var missing = session.Inputs.Select(i => i.Name).Where(n => !values.ContainsKey(n)).ToList();
            if (missing.Count > 0)
            {
                throw new ArgumentException($"Model '{modelPath}' also needs input(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}; pass each as --input NAME=FILE.npy.");
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            using var results = session.Run(values, null, context.Cancellation);
            var elapsed = started.Elapsed;
            Directory.CreateDirectory(outputFolder);
            var table = new Table().AddColumns("output", "type", "shape", "file");
            for (var i = 0; i < results.Count; i++)
            {
                var path = Path.Combine(outputFolder, SafeFileName(results.Names[i]) + ".npy");
                var array = NpyTensors.FromOrtValue(results[i]);
                NpyFile.Write(path, array);
                table.AddRow(Markup.Escape(results.Names[i]), results[i].ElementType.ToString(), array.ShapeText, Markup.Escape(path));
            }

            context.Console.Write(table);
            context.Console.MarkupLine($"ran in {elapsed.TotalMilliseconds:F1} ms");
            return 0;
        }
        finally
        {
            foreach (var v in values.Values)
            {
                v.Dispose();
            }
        }
    }

    internal static (string Name, string File) ParseSpec(string spec)
    {
        var equals = spec.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals == spec.Length - 1)
        {
            throw new ArgumentException($"--input '{spec}' must look like NAME=FILE.npy.");
        }

        return (spec[..equals], spec[(equals + 1)..]);
    }

    internal static string SafeFileName(string name) =>
        new([.. name.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) || ch is '/' or '\\' or ':' ? '_' : ch)]);
}
