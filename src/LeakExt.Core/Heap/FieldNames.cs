namespace LeakExt.Core.Heap;

/// <summary>How field and type names read in holders and paths.</summary>
public static class FieldNames
{
    /// <summary>Auto-property backing fields read as the property: "&lt;Url&gt;k__BackingField" → "Url".</summary>
    public static string Pretty(string? field)
    {
        if (string.IsNullOrEmpty(field))
            return "?";
        if (field.StartsWith('<'))
        {
            int end = field.IndexOf('>');
            if (end > 1)
                return field[1..end];
        }
        return field;
    }

    /// <summary>A type name without namespaces, generic arguments included: "System.Collections.Generic.List&lt;App.Order&gt;" → "List&lt;Order&gt;".</summary>
    public static string Short(string? typeName)
    {
        if (string.IsNullOrEmpty(typeName))
            return "?";
        var text = new System.Text.StringBuilder(typeName.Length);
        int segmentStart = 0;
        for (int i = 0; i <= typeName.Length; i++)
        {
            char c = i < typeName.Length ? typeName[i] : '\0';
            if (c is '<' or '>' or ',' or '[' or ']' or ' ' or '\0' or '+')
            {
                string segment = typeName[segmentStart..i];
                int dot = segment.LastIndexOf('.');
                text.Append(dot >= 0 ? segment[(dot + 1)..] : segment);
                if (c != '\0')
                    text.Append(c == '+' ? '.' : c);
                segmentStart = i + 1;
            }
        }
        return text.ToString();
    }
}
