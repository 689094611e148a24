using System.CommandLine;
using System.CommandLine.Help;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Capture;
using LeakExt.Core.Files;
using LeakExt.Core.Targets;

namespace LeakExt.Cli;

/// <summary>The standalone host's command line: analyze a dump, attach to a process, write a dump, run the demo.</summary>
public static class LeakExtApp
{
    public static int Main(string[] args) =>
        Run(args, Console.In, Console.Out, Console.Error, terminal: !Console.IsInputRedirected && !Console.IsOutputRedirected,
            showProgress: !Console.IsErrorRedirected || Environment.GetEnvironmentVariable("LEAKEXT_PROGRESS") == "1", registerSignals: true);

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, bool terminal = false,
        bool showProgress = false, bool registerSignals = false)
    {
        using var interrupts = new InterruptHandler(registerSignals);

        var symbolPath = new Option<string?>("--symbol-path", "-y", "-symbol-path")
        {
            Description = "where to find the runtime's DAC: _NT_SYMBOL_PATH syntax (srv*CACHE*SERVER;DIR); default: $_NT_SYMBOL_PATH",
        };
        var commands = new Option<string[]>("--command", "-c", "-command")
        {
            Description = "run this LeakExt command (repeatable, in order) and exit instead of starting the REPL",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };

        var dumpArgument = new Argument<string>("dump") { Description = "a dump file (ELF core, Windows minidump or Mach-O core)" };
        var analyze = new Command("analyze", "Open a dump and run LeakExt commands on it (REPL, or -c for a batch).") { dumpArgument, commands, symbolPath };
        analyze.SetAction(parse => Guarded(stderr, () =>
        {
            var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(parse.GetValue(dumpArgument)!, SymbolPath.Resolve(parse.GetValue(symbolPath)))));
            using (target)
                return RunSession(new LeakSession(target), parse.GetValue(commands), stdin, stdout, stderr, terminal, showProgress, interrupts);
        }));

        var pidArgument = ProcessArgument();
        var attach = new Command("attach", "Attach to a live .NET process; it is suspended only while a command runs.") { pidArgument, commands, symbolPath };
        attach.SetAction(parse => Guarded(stderr, () =>
        {
            int pid = DotnetProcesses.Resolve(parse.GetValue(pidArgument)!);
            SymbolPath? path = SymbolPath.Resolve(parse.GetValue(symbolPath));
            // Check once up front that the process exists and runs .NET, then detach until a command needs it.
            Action<int, TimeSpan> retrying = (attempt, wait) => stderr.WriteLine("note: " + GcRetry.Describe($"process {pid}", attempt, wait));
            GcRetry.Run(() => { LeakTarget.Attach(pid, path).Dispose(); return 0; }, retrying, CancellationToken.None);
            return RunSession(new LeakSession(new LiveProcessTargetProvider(pid, path) { OnRetry = retrying }), parse.GetValue(commands), stdin, stdout, stderr,
                terminal, showProgress, interrupts);
        }));

        var dumpPid = ProcessArgument();
        var dumpFile = new Argument<string>("file") { Description = "where to write the dump (its folder must exist)" };
        var force = ForceOption();
        var dump = new Command("dump", "Write a heap dump of a running .NET process (through its diagnostics port).") { dumpPid, dumpFile, force };
        dump.SetAction(parse => Guarded(stderr, () =>
        {
            int pid = DotnetProcesses.Resolve(parse.GetValue(dumpPid)!);
            string written = DumpWriter.WriteHeapDump(pid, parse.GetValue(dumpFile)!, new OutputOptions(parse.GetValue(force), "--force"));
            stdout.WriteLine($"Wrote {written}");
            return 0;
        }));

        var recordPid = ProcessArgument();
        var every = new Option<string>("--every", "-every") { Description = "time between snapshots: 10s, 500ms, 2m, 1h (default 10s)", DefaultValueFactory = _ => "10s" };
        var count = new Option<int>("--count", "-count") { Description = "how many snapshots (default 6)", DefaultValueFactory = _ => 6 };
        var recordOut = new Option<string>("--out", "-out") { Description = "folder for the .leaksnap files (made if missing; its parent must exist)", Required = true };
        var recordForce = ForceOption();
        var record = new Command("record", "Snapshot a live process every interval into .leaksnap files (suspended only while each is taken).")
        {
            recordPid, every, count, recordOut, symbolPath, recordForce,
        };
        record.SetAction(parse => Guarded(stderr, () =>
        {
            int snapshots = parse.GetValue(count);
            if (snapshots < 1)
                throw new LeakExtException($"--count must be at least 1, got {snapshots}.");
            return new Recorder(stdout, stderr, interrupts).Run(DotnetProcesses.Resolve(parse.GetValue(recordPid)!), Recorder.ParseInterval(parse.GetValue(every)!), snapshots,
                parse.GetValue(recordOut)!, SymbolPath.Resolve(parse.GetValue(symbolPath)), new OutputOptions(parse.GetValue(recordForce), "--force"));
        }));

        var growthArguments = new Argument<string[]>("snapshots") { Description = "a folder of .leaksnap files, or the files in time order", Arity = ArgumentArity.OneOrMore };
        var growthTop = new Option<int>("--top", "-top") { Description = "suspects to show (default 10)", DefaultValueFactory = _ => 10 };
        var growthHtml = new Option<string?>("--html", "-html") { Description = "also write a self-contained HTML report" };
        var growthJson = new Option<bool>("--json", "-json") { Description = "print JSON instead of text" };
        var growthMixed = new Option<bool>("--mixed", "-mixed") { Description = "accept snapshots of different processes, runtime versions or pointer sizes" };
        var growthForce = ForceOption();
        var heapgrowth = new Command("heapgrowth", "Read a series of .leaksnap files (e.g. from 'leakext record'): leak, plateau, native growth, fragmentation or finalizer backlog.")
        {
            growthArguments, growthTop, growthHtml, growthJson, growthMixed, growthForce,
        };
        heapgrowth.SetAction(parse => Guarded(stderr, () =>
        {
            var line = new List<string> { "heapgrowth" };
            line.AddRange(parse.GetValue(growthArguments)!.Select(Quote));
            line.Add($"-top {parse.GetValue(growthTop)}");
            if (parse.GetValue(growthHtml) is { } html)
                line.Add($"-html {Quote(html)}");
            if (parse.GetValue(growthJson))
                line.Add("-json");
            if (parse.GetValue(growthMixed))
                line.Add("-mixed");
            if (parse.GetValue(growthForce))
                line.Add("-force");
            return RunSession(new LeakSession(null), [string.Join(' ', line)], stdin, stdout, stderr, terminal, showProgress, interrupts);
        }));

        var outOption = new Option<string>("--out", "-out") { Description = "folder for the demo's dumps and snapshots", DefaultValueFactory = _ => "demo-out" };
        var demo = new Command("demo", "Run the bundled leaky crawler, dump it at 3 checkpoints, and hunt the leak with LeakExt's commands.") { outOption };
        demo.SetAction(parse => Guarded(stderr, () =>
            new DemoRunner(stdout, stderr, interrupts).Run(parse.GetValue(outOption)!)));

        var ps = new Command("ps", "List the .NET processes you can attach to, dump or record (as dotnet-counters ps: by their diagnostics endpoints).");
        ps.SetAction(parse => Guarded(stderr, () => ProcessList.Print(stdout)));

        var root = new RootCommand("LeakExt: memory-leak hunting for .NET. Snapshot the live managed heap of a dump or a process, and diff snapshots to see what grew.")
        {
            analyze, attach, record, heapgrowth, dump, ps, demo, commands,
        };
        foreach (HelpOption help in root.Options.OfType<HelpOption>())
            help.Action = new HelpWithSessionCommands((System.CommandLine.Help.HelpAction)help.Action!);
        root.SetAction(parse => Guarded(stderr, () =>
        {
            string[]? batch = parse.GetValue(commands);
            if (batch is null || batch.Length == 0)
            {
                stderr.WriteLine("error: say what to open: 'leakext analyze DUMP', 'leakext attach PID', or '-c COMMAND' for snapshot files only; see 'leakext --help'.");
                return 2;
            }
            return RunSession(new LeakSession(null), batch, stdin, stdout, stderr, terminal, showProgress, interrupts);
        }));

        // No POSIX bundling: "-html" is the option -html, never -h -t -m -l.
        ParseResult parsed = root.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        // An unknown option taken for an argument is the first mistake to name: what it displaced is only a symptom.
        if (parsed.Action is not System.CommandLine.Help.HelpAction and not HelpWithSessionCommands &&
            (CliMistakes.OptionTakenAsArgument(parsed) ?? (parsed.Errors.Count > 0 ? CliMistakes.Describe(parsed, args) : null)) is { } mistake)
        {
            stderr.WriteLine("error: " + TerminalText.Escape(mistake));
            return CliMistakes.ExitUsage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    /// <summary>--force, also spelled -force as inside a session (heapgrowth passes it on to the session's command).</summary>
    private static Argument<string> ProcessArgument() =>
        new("pid") { Description = "a running .NET process: its id, or its name ('dotnet app.dll' is named app; 'leakext ps' lists them)" };

    private static Option<bool> ForceOption() => new("--force", "-force") { Description = OutputFileOption.Help };

    private static string Quote(string text) => text.Contains(' ') || text.Contains('"') ? "\"" + text.Replace("\"", "\\\"") + "\"" : text;

    private static int RunSession(LeakSession session, string[]? batch, TextReader stdin, TextWriter stdout, TextWriter stderr,
        bool terminal, bool showProgress, InterruptHandler interrupts)
    {
        var host = new SessionHost(session, stdin, stdout, stderr, terminal, showProgress, interrupts);
        return batch is { Length: > 0 } ? host.RunBatch(batch) : host.RunRepl();
    }

    /// <summary>How the standalone host sets the symbol path that leads to the runtime's DAC.</summary>
    public const string SymbolPathHint = "pass --symbol-path or set " + SymbolPath.EnvironmentVariable + ".";

    /// <summary>User mistakes become one line on stderr and exit code 1; nothing else is caught here.</summary>
    private static int Guarded(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (LeakExtException ex)
        {
            string message = ex switch
            {
                DacLoadException dac => dac.WithHint(SymbolPathHint),
                ProcessChoiceException choice => choice.WithLister("'leakext ps'"),
                _ => ex.Message,
            };
            stderr.WriteLine("error: " + TerminalText.Escape(message));
            return 1;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled.");
            return SessionHost.ExitCancelled;
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("LEAKEXT_DEBUG") != "1")
        {
            // A bug of ours or an unreadable target: one line; LEAKEXT_DEBUG=1 shows the stack.
            stderr.WriteLine($"error: {ex.GetType().Name}: {TerminalText.Escape(ex.Message.ReplaceLineEndings(" "))} (set LEAKEXT_DEBUG=1 for details, and please report it).");
            return ExitInternalError;
        }
    }

    public const int ExitInternalError = 3;
}
