using System.Diagnostics;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Runs a program to its end with no input (a REPL reads end of input and leaves).</summary>
internal static class ChildProcess
{
    /// <summary>Its exit code, output and errors; after <paramref name="timeout"/> it is killed, with its children, and this throws.</summary>
    public static (int ExitCode, string Out, string Errors) Run(ProcessStartInfo start, TimeSpan timeout)
    {
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(start.FileName)} did not finish in {timeout.TotalMinutes:0} minutes");
        }
        return (process.ExitCode, output, errors.Result);
    }
}
