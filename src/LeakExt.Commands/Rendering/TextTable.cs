using System.Globalization;
using System.Text;
using LeakExt.Commands.Framework;

namespace LeakExt.Commands.Rendering;

/// <summary>
/// A plain-text table: right-aligned numbers, left-aligned text, two spaces between columns, no
/// trailing blanks. Cells are measured as the terminal will show them, escaped (<see cref="TerminalText"/>):
/// a name with a control character or a bidi mark still lines up.
/// </summary>
public sealed class TextTable(params (string Header, bool RightAligned)[] columns)
{
    private readonly List<string[]> _rows = new();

    public void Add(params string[] cells) => _rows.Add(cells);

    public int RowCount => _rows.Count;

    public void WriteTo(TextOutput output)
    {
        int[] widths = columns.Select(c => c.Header.Length).ToArray();
        var shown = new List<string[]>(_rows.Count);
        foreach (string[] row in _rows)
        {
            string[] cells = Array.ConvertAll(row, TerminalText.Escape);
            for (int i = 0; i < cells.Length; i++)
                widths[i] = Math.Max(widths[i], cells[i].Length);
            shown.Add(cells);
        }

        output.WriteLine(Line(columns.Select(c => c.Header).ToArray(), widths));
        foreach (string[] row in shown)
            output.WriteLine(Line(row, widths));
    }

    private string Line(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                line.Append("  ");
            bool last = i == cells.Length - 1;
            if (columns[i].RightAligned)
                line.Append(cells[i].PadLeft(widths[i]));
            else
                line.Append(last ? cells[i] : cells[i].PadRight(widths[i]));
        }
        return line.ToString().TrimEnd();
    }
}

/// <summary>Number formats used by every renderer, so one quantity always reads the same.</summary>
public static class Format
{
    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Signed(long value) => value > 0 ? "+" + Number(value) : Number(value);

    public static string Seconds(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    /// <summary>Bytes with a binary unit for headlines ("12.3 MiB").</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = Math.Abs((double)bytes);
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        string sign = bytes < 0 ? "-" : "";
        return unit == 0 ? $"{sign}{value:0} B" : string.Create(CultureInfo.InvariantCulture, $"{sign}{value:0.0} {units[unit]}");
    }
}
