using LeakExt.Cli;

namespace LeakExt.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Out, string Errors)
{
    public string[] ErrorLines => Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

internal static class CliRunner
{
    /// <summary>Runs the standalone host in-process with captured streams and no input.</summary>
    public static CliResult Run(params string[] args) => RunWithInput("", args);

    public static CliResult RunWithInput(string input, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = LeakExtApp.Run(args, new StringReader(input), stdout, stderr);
        return new CliResult(code, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString().ReplaceLineEndings("\n"));
    }
}
