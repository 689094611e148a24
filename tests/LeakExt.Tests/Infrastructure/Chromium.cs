using System.Diagnostics;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Headless Chromium for the HTML report; installs Debian's chromium package when it is missing and we may.</summary>
internal static class Chromium
{
    private static readonly object Gate = new();

    public static string Find()
    {
        lock (Gate)
        {
            foreach (string candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" })
                if (File.Exists(candidate))
                    return candidate;
            if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
                throw new InvalidOperationException("headless Chromium is needed for the HTML report test: install Debian's 'chromium' package.");
            Run("/usr/bin/apt-get", "update -qq", TimeSpan.FromMinutes(10));
            Run("/usr/bin/apt-get", "install -y -qq chromium", TimeSpan.FromMinutes(20));
            return File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : throw new InvalidOperationException("installing chromium did not provide /usr/bin/chromium.");
        }
    }

    /// <summary>Null where a headless Chromium is installed, else why the HTML report's browser test skips.</summary>
    public static string? Unavailable =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.Any(File.Exists)
            ? null : "headless Chromium is not installed (.ci/run installs Debian's chromium package)";

    /// <summary>The DOM Chromium builds from <paramref name="html"/> (file://, no network), serialized.</summary>
    public static string DumpDom(string html)
    {
        string profile = Path.Combine(Path.GetTempPath(), $"leakext-chromium-{Environment.ProcessId}");
        var start = new ProcessStartInfo(Find())
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}",
                     "--window-size=1400,1000", "--dump-dom", "file://" + html })
            start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        Task<string> dom = process.StandardOutput.ReadToEndAsync();
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium --dump-dom took longer than 2 min.");
        }
        return dom.Result;
    }

    private static void Run(string file, string arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} took longer than {timeout.TotalMinutes} min.");
        }
    }
}
