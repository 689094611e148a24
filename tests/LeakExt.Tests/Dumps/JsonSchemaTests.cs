using System.Text.Json;
using System.Text.RegularExpressions;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// The JSON contract: every command run with -json on real dumps emits only the fields docs/json.md
/// shows, every field it shows is emitted by some run, and every value reads as its name says
/// (<see cref="JsonContract.UnitOf"/>: integers for bytes and counts, UTC times, hex addresses).
/// </summary>
[Collection("dumps")]
public sealed class JsonSchemaTests(DumpFixture fixture)
{
    /// <summary>Objects keyed by data (root kinds, generations), not by field names: their keys are not fields.</summary>
    private static readonly string[] Maps = ["snapshot.roots", "snapshot.types[].byGeneration", "heapgrowth.totals[].liveBytesByGeneration"];

    private static readonly Regex Time = new(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", RegexOptions.None, TimeSpan.FromSeconds(1));
    private static readonly Regex Hex = new("^0x[0-9a-f]+$", RegexOptions.None, TimeSpan.FromSeconds(1));

    [Fact]
    public void Every_command_emits_exactly_the_documented_fields_in_the_documented_units()
    {
        var documents = new List<string>();
        documents.AddRange(RetentionRuns());
        documents.AddRange(GrowthRuns("leak"));
        documents.Add(PlateauRun());

        var emitted = new SortedSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (string text in documents)
        {
            Assert.True(text.All(c => c < 128), "a document is not plain ASCII: " + text[..Math.Min(200, text.Length)]);
            JsonElement root = Sessions.Json(text);
            Assert.Equal(JsonContract.SchemaVersion, root.GetProperty("schemaVersion").GetInt32());
            string kind = root.TryGetProperty("error", out _) ? "error" : root.GetProperty("command").GetString()!;
            Collect(root, kind, emitted, problems);
        }
        Assert.True(problems.Count == 0, "values that do not read as their names say:\n" + string.Join("\n", problems.Distinct().Take(30)));

        SortedSet<string> documented = Documented();
        string[] undocumented = emitted.Except(documented).ToArray();
        string[] neverEmitted = documented.Except(emitted).ToArray();
        Assert.True(undocumented.Length == 0, "emitted but not in docs/json.md:\n" + string.Join("\n", undocumented));
        Assert.True(neverEmitted.Length == 0, "in docs/json.md but never emitted:\n" + string.Join("\n", neverEmitted));
    }

    /// <summary>Every command but heapgrowth on the Retention dump, with the options that add fields; one error too.</summary>
    private IEnumerable<string> RetentionRuns()
    {
        string saved = fixture.TempFile($"schema-{Guid.NewGuid():n}.leaksnap");
        string dot = fixture.TempFile($"schema-{Guid.NewGuid():n}.dot");
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(fixture.Dumps("Retention").Single())));
        var session = new LeakSession(target);
        string Run(string command, bool fails = false)
        {
            (string text, string errors, CommandDispatcher.Outcome outcome) = Sessions.Run(session, command + " -json");
            Assert.True((outcome == CommandDispatcher.Outcome.Succeeded) != fails, $"{command}: {errors}");
            return text;
        }

        string first = Run($"snapshot -name before -save {saved}");
        string top = Sessions.Json(first).GetProperty("holders").EnumerateArray().First(h => h.GetProperty("type").GetString() == "Retention.Top")
            .GetProperty("example").GetString()!;
        yield return first;
        yield return Run("snapshot -name after");
        yield return Run("snapshots");
        yield return Run($"snapshots -load {saved}");
        yield return Run("snapdiff before after");
        // Two checkpoints of the Crawler, which grows between them: rows and holders to diff.
        string[] crawler = fixture.Dumps("Crawler").Take(2).Select((dump, i) =>
        {
            string file = fixture.TempFile($"schema-crawler-{i}-{Guid.NewGuid():n}.leaksnap");
            SnapshotFile.Write(Sessions.Snapshot(dump, name: $"crawler-{i + 1}"), file);
            return file;
        }).ToArray();
        yield return Run($"snapdiff {crawler[0]} {crawler[1]}");
        yield return Run($"snapdiff {crawler[0]} {crawler[1]} -by holder -type Hyperlink");
        yield return Run($"backrefs -type CachedItem -dot {dot}");
        yield return Run("backrefs -type CachedItem -max-nodes 1");
        yield return Run("backrefs -type Retention.WeakOnly -weak");
        yield return Run($"rootpath {top} -all 2");
        yield return Run($"retained {top}");
        yield return Run("retained -type Retention.CachedItem");
        yield return Run("dominators -top 3");
        yield return Run("fragmentation -top 3");
        yield return Run("help");
        yield return Run("help snapshot");
        yield return Run("rootpath 0x1", fails: true);
        yield return Run("snapshots -drop after");
    }

    /// <summary>heapgrowth over one Growth scenario's dumps, saved to a folder as `record` saves them, with an HTML report.</summary>
    private IEnumerable<string> GrowthRuns(string scenario)
    {
        string folder = fixture.TempFile($"schema-{scenario}-{Guid.NewGuid():n}");
        Directory.CreateDirectory(folder);
        int phase = 0;
        foreach (string dump in fixture.Dumps("Growth", false, scenario))
            SnapshotFile.Write(Sessions.Snapshot(dump, name: $"{scenario}-{++phase}"), Path.Combine(folder, $"{scenario}-{phase}.leaksnap"));
        (string text, string errors, CommandDispatcher.Outcome outcome) =
            Sessions.Run(new LeakSession(null), $"heapgrowth {folder} -html {Path.Combine(folder, "report.html")} -json");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        yield return text;
    }

    /// <summary>
    /// A plateau, for the fields only a plateau has (where it levels off): made by hand, as a cache that
    /// warms up for two minutes and holds (the Growth target's plateau is a verdict on a real GC's
    /// timing; this is the JSON of one, whatever the machine).
    /// </summary>
    private string PlateauRun()
    {
        const long MiB = 1 << 20;
        string folder = fixture.TempFile($"schema-plateau-{Guid.NewGuid():n}");
        Directory.CreateDirectory(folder);
        long[] cache = [10 * MiB, 16 * MiB, 19 * MiB, 19 * MiB + 200_000, 19 * MiB + 150_000, 19 * MiB + 250_000];
        for (int i = 0; i < cache.Length; i++)
        {
            Snapshot s = SyntheticSnapshots.Make($"plateau-{i + 1}", SyntheticSnapshots.Type("App.CacheEntry", cache[i] / 1000, cache[i]));
            SnapshotFile.Write(s with { Info = s.Info with { TakenAt = SyntheticSnapshots.Noon.AddMinutes(i) } }, Path.Combine(folder, $"plateau-{i + 1}.leaksnap"));
        }
        (string text, string errors, CommandDispatcher.Outcome outcome) = Sessions.Run(new LeakSession(null), $"heapgrowth {folder} -json");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        Assert.Equal("plateau", Sessions.Json(text).GetProperty("verdict").GetString());
        return text;
    }

    private static void Collect(JsonElement element, string path, SortedSet<string> paths, List<string> problems)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                bool map = Maps.Contains(path);
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    string child = path + "." + (map ? "*" : property.Name);
                    paths.Add(child);
                    if (!map)
                        CheckUnit(child, property.Name, property.Value, problems);
                    Collect(property.Value, child, paths, problems);
                }
                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                    Collect(item, path + "[]", paths, problems);
                break;
        }
    }

    private static void CheckUnit(string path, string name, JsonElement value, List<string> problems)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return;
        bool ok = JsonContract.UnitOf(name) switch
        {
            FieldUnit.Bytes or FieldUnit.Count => value.ValueKind == JsonValueKind.Array
                ? value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _))
                : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            FieldUnit.Number => value.ValueKind == JsonValueKind.Number,
            FieldUnit.Time => value.ValueKind == JsonValueKind.String && Time.IsMatch(value.GetString()!),
            FieldUnit.Address => value.ValueKind == JsonValueKind.String && Hex.IsMatch(value.GetString()!),
            _ => true,
        };
        if (!ok)
            problems.Add($"{path} ({JsonContract.UnitOf(name)}): {value.GetRawText()}");
    }

    /// <summary>The fields of each "## `kind`" section's JSON example (comments allowed), as paths like "snapdiff.rows[].deltaBytes".</summary>
    private static SortedSet<string> Documented()
    {
        string markdown = File.ReadAllText(Path.Combine(Repository.Root, "docs", "json.md"));
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        var headings = new Regex(@"^## `([a-z]+)`", RegexOptions.Multiline, TimeSpan.FromSeconds(1));
        var block = new Regex(@"```json\n(.*?)```", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        MatchCollection sections = headings.Matches(markdown);
        for (int i = 0; i < sections.Count; i++)
        {
            int end = i + 1 < sections.Count ? sections[i + 1].Index : markdown.Length;
            Match example = block.Match(markdown, sections[i].Index, end - sections[i].Index);
            Assert.True(example.Success, $"docs/json.md: section {sections[i].Value} has no ```json example");
            using JsonDocument document = JsonDocument.Parse(example.Groups[1].Value,
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            Collect(document.RootElement, sections[i].Groups[1].Value, paths, []);
        }
        return paths;
    }
}
