namespace LeakExt.Core.Growth;

/// <summary>A series as a row of block characters, lowest to highest: ▁▂▃▄▅▆▇█.</summary>
public static class Sparkline
{
    private const string Blocks = "▁▂▃▄▅▆▇█";

    public static string Render(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return "";
        double min = values.Min(), max = values.Max();
        var text = new char[values.Count];
        for (int i = 0; i < values.Count; i++)
            text[i] = max == min ? Blocks[0] : Blocks[(int)Math.Round((values[i] - min) / (max - min) * (Blocks.Length - 1))];
        return new string(text);
    }
}
