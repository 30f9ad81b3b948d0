using System.Diagnostics;

namespace OrtDiffusion.Tests.Packaging;

/// <summary>What a finished child process printed, and a message that shows all of it when an assertion fails.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public string Output => StandardOutput + StandardError;

    public string Describe() =>
        $"`{Command}` exited with {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";

    public ProcessResult AssertSucceeded()
    {
        Assert.True(ExitCode == 0, Describe());
        return this;
    }
}

/// <summary>Runs a child process with captured output and a time limit (the process tree is killed past it).</summary>
internal static class ProcessRunner
{
    /// <summary>The dotnet host running these tests, so children use the same SDK installation.</summary>
    public static string Dotnet { get; } = FindDotnet();

    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // `dotnet test` hands MSBuild's own locations to the test host; a child `dotnet build` must find its own.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no build nodes left running after the test
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var command = string.Join(' ', [fileName, .. start.ArgumentList]);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start `{command}`.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"`{command}` did not finish within {limit.TotalSeconds:F0} s.\n--- stdout ---\n{stdout.Result}\n--- stderr ---\n{stderr.Result}");
        }

        process.WaitForExit(); // drains the redirected streams
        return new ProcessResult(command, process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    /// <summary>Runs <c>dotnet</c> with the given arguments.</summary>
    public static ProcessResult RunDotnet(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments) =>
        Run(Dotnet, arguments, workingDirectory, environment);

    private static string FindDotnet()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
