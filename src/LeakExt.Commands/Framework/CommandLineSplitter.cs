using System.Text;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>Splits a command line typed into a host into tokens: whitespace separates, double quotes group, \" is a quote.</summary>
public static class CommandLineSplitter
{
    public static IReadOnlyList<string> Split(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        bool inQuotes = false, hasToken = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] == '"')
            {
                current.Append('"');
                hasToken = true;
                i++;
            }
            else if (c == '"')
            {
                inQuotes = !inQuotes;
                hasToken = true;
            }
            else if (char.IsWhiteSpace(c) && !inQuotes)
            {
                if (hasToken)
                    tokens.Add(current.ToString());
                current.Clear();
                hasToken = false;
            }
            else
            {
                current.Append(c);
                hasToken = true;
            }
        }
        if (inQuotes)
            throw new LeakExtException("unterminated quote in the command line.");
        if (hasToken)
            tokens.Add(current.ToString());
        return tokens;
    }
}
