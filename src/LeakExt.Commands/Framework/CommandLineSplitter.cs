using System.Text;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Splits a command line typed into a host into tokens: whitespace separates, double or single
/// quotes group (-name "two words", -name 'two words'; each quote is literal inside the other), \" is a quote.
/// </summary>
public static class CommandLineSplitter
{
    public static IReadOnlyList<string> Split(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        bool hasToken = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] == '"' && quote != '\'')
            {
                current.Append('"');
                hasToken = true;
                i++;
            }
            else if ((c is '"' or '\'') && (quote == '\0' || quote == c))
            {
                quote = quote == '\0' ? c : '\0';
                hasToken = true;
            }
            else if (char.IsWhiteSpace(c) && quote == '\0')
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
        if (quote != '\0')
            throw new LeakExtException("unterminated quote in the command line.");
        if (hasToken)
            tokens.Add(current.ToString());
        return tokens;
    }
}
