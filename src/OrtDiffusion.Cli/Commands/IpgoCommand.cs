using System.CommandLine;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff ipgo train|apply</c>: learn prefix and suffix tokens against a reward, and generate with them.</summary>
internal static class IpgoCommand
{
    public static Command Create(CliContext context) => new("ipgo", "IPGO: learn prefix and suffix tokens around the text embedding by reward back-propagation, and generate with them.")
    {
        IpgoTrainCommand.Create(context),
        IpgoApplyCommand.Create(context),
    };
}
