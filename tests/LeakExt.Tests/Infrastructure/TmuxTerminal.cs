using System.Diagnostics;

namespace LeakExt.Tests.Infrastructure;

/// <summary>A fact that needs tmux (a real terminal for the REPL); skipped in one line without it.</summary>
public sealed class TmuxFactAttribute() : FactUnlessAttribute(TmuxTerminal.Unavailable);

/// <summary>
/// leakext in a real terminal: a detached tmux session of a fixed size on a tmux server of its own
/// (its own socket, so nothing of the user's is touched), driven with send-keys and read with
/// capture-pane. Dispose stops that server, and with it the program.
/// </summary>
internal sealed class TmuxTerminal : IDisposable
{
    private static int s_sessions;
    private readonly string _socket = $"leakext-test-{Environment.ProcessId}-{Interlocked.Increment(ref s_sessions)}";
    private readonly string _socketPath;

    public static string? Unavailable =>
        ExternalTools.FindOnPath("tmux") is null ? "tmux is not installed: the REPL's terminal tests are skipped (.ci/run installs it)" : null;

    /// <summary>Starts `dotnet leakext.dll ARGS` in a <paramref name="columns"/>×<paramref name="rows"/> terminal.</summary>
    public TmuxTerminal(string workingDirectory, IReadOnlyDictionary<string, string> environment, int columns, int rows, params string[] leakextArguments)
    {
        string leakext = Path.Combine(AppContext.BaseDirectory, "leakext.dll");
        var arguments = new List<string> { "new-session", "-d", "-s", "repl", "-x", columns.ToString(), "-y", rows.ToString(), "-c", workingDirectory };
        foreach ((string name, string value) in environment)
            arguments.AddRange(["-e", $"{name}={value}"]);
        // "remain-on-exit" keeps the pane (and what it shows) after leakext exits.
        arguments.Add(string.Join(' ', new[] { "dotnet", leakext }.Concat(leakextArguments).Select(Quote)));
        arguments.AddRange([";", "set-option", "-t", "repl", "remain-on-exit", "on"]);
        Tmux(arguments.ToArray());
        _socketPath = Tmux("display-message", "-p", "#{socket_path}").Trim();
    }

    /// <summary>Types <paramref name="text"/> literally.</summary>
    public void Type(string text) => Tmux("send-keys", "-t", "repl", "-l", "--", text);

    /// <summary>Presses keys by tmux's names: Enter, Tab, C-a, M-b, Up.</summary>
    public void Press(params string[] keys) => Tmux(["send-keys", "-t", "repl", .. keys]);

    /// <summary>The scrollback and the visible screen, one string per terminal row, trailing spaces removed.</summary>
    public string[] Screen() =>
        Tmux("capture-pane", "-p", "-S", "-", "-t", "repl").Split('\n').Select(row => row.TrimEnd()).ToArray();

    /// <summary>Whether leakext has exited (its pane stays, dead, to be read).</summary>
    public bool Exited => Tmux("display-message", "-p", "-t", "repl", "#{pane_dead}").Trim() == "1";

    /// <summary>Waits (up to 30 s) until the screen satisfies <paramref name="condition"/>; fails with the screen if it never does.</summary>
    public string[] WaitFor(Func<string[], bool> condition, string what) => WaitFor(condition, () => false, what);

    /// <summary>Waits until leakext has exited.</summary>
    public void WaitForExit() => WaitFor(_ => false, () => Exited, "leakext's exit");

    private string[] WaitFor(Func<string[], bool> condition, Func<bool> orElse, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string[] screen = Screen();
            if (condition(screen) || orElse())
                return screen;
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
                Assert.Fail($"the terminal never showed {what}; it shows:\n{string.Join('\n', screen)}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits until the last non-empty row is exactly <paramref name="row"/>.</summary>
    public string[] WaitForLastRow(string row) =>
        WaitFor(screen => screen.LastOrDefault(r => r.Length > 0) == row, $"'{row}' as its last row");

    public void Dispose()
    {
        try
        {
            Tmux("kill-server");
        }
        catch (InvalidOperationException)
        {
            // The server already ended with its last session.
        }
        // A stopped server leaves its socket file behind.
        if (_socketPath.Length > 0)
            File.Delete(_socketPath);
    }

    private string Tmux(params string[] arguments)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"tmux {string.Join(' ', arguments)}: {errors.Trim()}");
        return output;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";
}
