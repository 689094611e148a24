using System.Text;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Our text output in ASCII, for hosts whose console is ASCII-only (SOS prints '?' for anything
/// else, dotnet-dump drops it). Each glyph becomes exactly one character, so table columns and
/// tree indentation stay aligned. JSON is unaffected: it already escapes non-ASCII as \uXXXX.
/// </summary>
public static class AsciiText
{
    private static readonly Dictionary<char, char> Replacements = new()
    {
        ['›'] = '>', ['→'] = '>', ['←'] = '<', ['≥'] = '>',
        ['Δ'] = 'd', ['…'] = '~', ['—'] = '-', ['×'] = 'x',
        ['└'] = '`', ['├'] = '|', ['│'] = '|', ['─'] = '-', ['◆'] = '*',
        // Sparkline levels, lowest to highest.
        ['▁'] = '_', ['▂'] = '.', ['▃'] = ',', ['▄'] = '-', ['▅'] = '=', ['▆'] = '+', ['▇'] = '*', ['█'] = '#',
    };

    public static string Transliterate(string text)
    {
        int first = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F)
            {
                first = i;
                break;
            }
        }
        if (first < 0)
            return text;
        var ascii = new StringBuilder(text.Length);
        ascii.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (c <= 0x7F)
                ascii.Append(c);
            else if (Replacements.TryGetValue(c, out char replacement))
                ascii.Append(replacement);
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // One character on screen: one '?' (a type name from the target may hold anything).
                ascii.Append('?');
                i++;
            }
            else
                ascii.Append('?');
        }
        return ascii.ToString();
    }
}
