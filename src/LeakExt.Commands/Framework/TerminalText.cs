using System.Globalization;
using System.Text;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Makes text safe for a terminal: names from the target or a file (types, fields, modules,
/// holders, snapshot names, file names) may hold anything, and a raw ESC sets the title or
/// clears the screen, CR overwrites the columns, U+202E turns the line around. Escaped, each is
/// visible for what it is: C0 controls as <c>\e</c>, <c>\r</c>, <c>\n</c>, <c>\t</c>, <c>\a</c>,
/// <c>\b</c>, <c>\f</c>, <c>\v</c>, <c>\0</c> or <c>\x1F</c>; DEL and C1 controls as <c>\x7F</c>,
/// <c>\x9B</c>; the bidirectional controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and
/// the line and paragraph separators (U+2028/9) as <c>\u202E</c>. A lone surrogate becomes
/// <c>\uD800</c>. Everything else, backslashes included, is left as it is.
/// </summary>
public static class TerminalText
{
    /// <summary>The rule for users: a section of docs/commands.md.</summary>
    public const string Documentation = """
        ## Names from the target and from files

        Type, field, module and holder names come from the target, snapshot names and everything else in a `.leaksnap`
        file from whoever wrote it: they may hold anything. Text output (every host, WinDbg's DML included) shows the
        characters a terminal would act on escaped: C0 controls as `\e` `\r` `\n` `\t` `\a` `\b` `\f` `\v` `\0` or
        `\x1F`, DEL and C1 controls as `\x7F` `\x9B`, the bidirectional controls U+061C, U+200E/F, U+202A–U+202E,
        U+2066–U+2069 and the separators U+2028/9 as `\u202E`. Tables line up on the escaped text. DOT, SVG and HTML
        show the same escapes; JSON carries the names as they are, escaped the JSON way (`\u001B`, `\u202E`).

        `-type T` reads T as the output names types, alternative by alternative (`A|B`): a full name
        (`Crawler.Hyperlink`) chooses that type; otherwise the short name LeakExt prints (`Hyperlink`,
        `List<Hyperlink>`, `Hyperlink[]`) chooses every type printed so; each case-sensitively first, then ignoring
        case. Only a glob (`*Hyperlink*`, `?`) chooses by pattern, over full and short names, so `-type Hyperlink`
        never takes in `Hyperlink[]` or `List<Hyperlink>`. Every command says which types matched (a line of text;
        `matchedTypes` in JSON); no match is an error naming the near types. Globs are matched by LeakExt's own
        matcher, never by a regular expression: no backtracking, at most the name's length times the pattern's per
        name, so `*L*L*L*X` against a 1,000-character name answers at once. An empty pattern or alternative is an error.
        """;

    public static string Escape(string text)
    {
        int first = FirstUnsafe(text);
        if (first < 0)
            return text;
        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(c).Append(text[++i]);
                continue;
            }
            if (!IsUnsafe(c))
            {
                escaped.Append(c);
                continue;
            }
            escaped.Append(c switch
            {
                '\u001b' => @"\e",
                '\r' => @"\r",
                '\n' => @"\n",
                '\t' => @"\t",
                '\a' => @"\a",
                '\b' => @"\b",
                '\f' => @"\f",
                '\v' => @"\v",
                '\0' => @"\0",
                < '\u0100' => @"\x" + ((int)c).ToString("X2", CultureInfo.InvariantCulture),
                _ => @"\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
            });
        }
        return escaped.ToString();
    }

    private static int FirstUnsafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                return i;
            }
            if (IsUnsafe(c))
                return i;
        }
        return -1;
    }

    private static bool IsUnsafe(char c) =>
        c < ' ' || c is >= '\u007F' and <= '\u009F' || char.IsSurrogate(c) || IsBidiOrSeparator(c);

    private static bool IsBidiOrSeparator(char c) =>
        c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u2028' or '\u2029';
}
