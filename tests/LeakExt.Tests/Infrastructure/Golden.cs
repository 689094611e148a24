using System.Text;

namespace LeakExt.Tests.Infrastructure;

/// <summary>
/// Compares text with a file under tests/LeakExt.Tests/Golden. On a mismatch the failure shows a
/// line diff; set LEAKEXT_UPDATE_GOLDEN=1 to rewrite the files after an intended change.
/// </summary>
internal static class Golden
{
    public static void Check(string name, string actual) =>
        CheckFile(Path.Combine(Repository.Root, "tests", "LeakExt.Tests", "Golden", name), actual);

    /// <summary>Like <see cref="Check"/> for any file of the repository (e.g. generated docs).</summary>
    public static void CheckFile(string path, string actual)
    {
        string name = Path.GetRelativePath(Repository.Root, path);
        actual = actual.ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("LEAKEXT_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"golden file {path} is missing; run the tests with LEAKEXT_UPDATE_GOLDEN=1 to create it.");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != actual)
            Assert.Fail($"output differs from {name} (- expected, + actual; LEAKEXT_UPDATE_GOLDEN=1 accepts it):\n{Diff(expected, actual)}");
    }

    /// <summary>A small line diff (longest common subsequence), enough to read a rendering change.</summary>
    internal static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        int[,] lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var text = new StringBuilder();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                text.Append("  ").Append(a[x]).Append('\n');
                x++; y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                text.Append("- ").Append(a[x++]).Append('\n');
            }
            else
            {
                text.Append("+ ").Append(b[y++]).Append('\n');
            }
        }
        return text.ToString();
    }
}
