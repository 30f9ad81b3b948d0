using System.CommandLine;

namespace OrtDiffusion.Cli;

/// <summary>Entry point of the <c>ortdiff</c> tool: builds the command tree and runs it.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("ortdiff: Stable Diffusion and PixArt-alpha on ONNX Runtime, with DATE and IPGO.");
        return root.Parse(args).Invoke();
    }
}
