using System.Diagnostics;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Headless Chromium for screenshots; installs Debian's chromium package when it is missing and we may.</summary>
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

    public static void Screenshot(string html, string png, int width, int height)
    {
        string profile = Path.Combine(Path.GetTempPath(), $"leakext-chromium-{Environment.ProcessId}");
        Run(Find(), $"--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking " +
                    $"--disable-component-update --disable-sync --hide-scrollbars --user-data-dir={profile} " +
                    $"--window-size={width},{height} --screenshot={png} file://{html}", TimeSpan.FromMinutes(2));
        if (!File.Exists(png))
            throw new InvalidOperationException("Chromium wrote no screenshot.");
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
