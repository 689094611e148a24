using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Capture;
using LeakExt.Core.Files;
using LeakExt.Core.Targets;

namespace LeakExt.Cli;

/// <summary>
/// The end-to-end example: runs the bundled crawler (whose static page cache leaks Hyperlinks),
/// writes a dump at each of its 3 checkpoints, then snapshots each dump and diffs them.
/// </summary>
internal sealed class DemoRunner(TextWriter stdout, TextWriter stderr, InterruptHandler interrupts)
{
    private const string TargetName = "Crawler";

    public int Run(string outDirectory)
    {
        string program = FindDemoProgram();
        string directory = Path.GetFullPath(outDirectory);
        Directory.CreateDirectory(directory);

        stdout.WriteLine($"Running the demo crawler ({program}); it caches every page's links in a static dictionary and never trims it.");
        var dumps = new List<string>();
        new CheckpointRunner { FileName = "dotnet", Arguments = [program, "3", "200", "25"] }.Run((pid, number, label) =>
        {
            string path = Path.Combine(directory, $"checkpoint-{number}.dmp");
            DumpWriter.WriteHeapDump(pid, path, new OutputOptions(Force: true));   // the demo's own folder: a run replaces the last
            dumps.Add(path);
            stdout.WriteLine($"  checkpoint {number} ({label}): wrote {path} ({new FileInfo(path).Length / (1024 * 1024)} MiB)");
        });
        stdout.WriteLine();

        var session = new LeakSession(null);
        var host = new SessionHost(session, TextReader.Null, stdout, stderr, terminal: false, showProgress: false, interrupts);
        for (int i = 0; i < dumps.Count; i++)
        {
            using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[i])));
            session.Target = target;
            string name = $"checkpoint-{i + 1}";
            if (Echo(host, $"snapshot -name {name} -save {Path.Combine(directory, name + ".leaksnap")} -force -top {(i == 0 ? 10 : 5)}") != 0)
                return 1;
            session.Target = null;
        }

        if (Echo(host, "snapshots") != 0 || Echo(host, "snapdiff checkpoint-1 checkpoint-2 -top 8") != 0 ||
            Echo(host, "snapdiff checkpoint-1 checkpoint-3 -top 8 -sort count") != 0 ||
            Echo(host, "snapdiff checkpoint-1 checkpoint-3 -by holder -top 3") != 0 ||
            Echo(host, $"heapgrowth -top 3 -html {Path.Combine(directory, "heapgrowth.html")} -force") != 0)
            return 1;

        // Who holds the Hyperlinks, and what would releasing them give back: on the last dump.
        using (var last = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[^1]))))
        {
            session.Target = last;
            if (Echo(host, "backrefs -type Crawler.Hyperlink -depth 4") != 0 || Echo(host, "retained -type Crawler.Hyperlink") != 0 ||
                Echo(host, "dominators -top 5") != 0)
                return 1;
            session.Target = null;
        }

        stdout.WriteLine("Every checkpoint added the same Crawler.Hyperlink, Crawler.Page and List<Hyperlink> counts, all held by the static");
        stdout.WriteLine("WebCrawler.s_seen dictionary: the crawler's page cache grows without bound. Trim it, or bound it, to get the memory back.");
        stdout.WriteLine($"Dumps, .leaksnap files and heapgrowth.html are in {directory}; open a dump with: leakext analyze {dumps[^1]}");
        return 0;
    }

    private int Echo(SessionHost host, string command)
    {
        stdout.WriteLine($"leakext> {command}");
        int result = host.RunOne(command) == CommandDispatcher.Outcome.Succeeded ? 0 : 1;
        stdout.WriteLine();
        return result;
    }

    private static string FindDemoProgram()
    {
        string bundled = Path.Combine(AppContext.BaseDirectory, "demo", TargetName + ".dll");
        if (File.Exists(bundled))
            return bundled;
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "artifacts", "targets", TargetName, TargetName + ".dll");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new LeakExtException($"the demo program ({TargetName}.dll) is not next to leakext; build the repository with ./build.sh build first.");
    }
}
