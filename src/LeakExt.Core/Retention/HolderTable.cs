namespace LeakExt.Core.Retention;

/// <summary>What an object's position in the root-path tree says about who holds it.</summary>
/// <param name="Text">The holder text id (what snapshots and diffs show).</param>
/// <param name="Inside">Non-zero while walking the internals of a collection (its arrays, nodes, entries).</param>
/// <param name="Label">For internals: the collection's display label ("Dictionary&lt;Page, List&lt;Hyperlink&gt;&gt;").</param>
/// <param name="Owner">For internals: the holder text of the collection object itself.</param>
internal readonly record struct HolderState(int Text, CollectionKind Inside, int Label, int Owner);

/// <summary>
/// Interned holder texts and states. A holder text is a root name followed by owner steps
/// ("static Crawler.WebCrawler.s_seen › Dictionary&lt;Page, List&lt;Hyperlink&gt;&gt; values › List&lt;Hyperlink&gt; items");
/// each text has an id and a step count, and is capped at <see cref="MaxSteps"/> steps.
/// Layout: a list and a dictionary per kind of entry; a heap has thousands, not millions.
/// </summary>
internal sealed class HolderTable
{
    public const int MaxSteps = 6;
    public const string Separator = " › ";

    private readonly List<string> _texts = new();
    private readonly List<int> _steps = new();
    private readonly Dictionary<string, int> _textIds = new(StringComparer.Ordinal);
    private HolderState[] _states = new HolderState[256];
    private int _stateCount;
    private readonly Dictionary<HolderState, int> _stateIds = new();
    private readonly Dictionary<(int, string), int> _extended = new();

    public string Text(int textId) => _texts[textId];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public HolderState State(int stateId) => _states[stateId];

    public int StateCount => _stateCount;

    public int RootText(string rootName) => InternText(rootName, 0);

    private int InternText(string text, int steps)
    {
        if (!_textIds.TryGetValue(text, out int id))
        {
            id = _texts.Count;
            _texts.Add(text);
            _steps.Add(steps);
            _textIds[text] = id;
        }
        return id;
    }

    /// <summary>The text one step further down; at the cap the text ends in "…" and stays.</summary>
    public int Extend(int textId, string step)
    {
        if (_extended.TryGetValue((textId, step), out int id))
            return id;
        int steps = _steps[textId];
        string text = _texts[textId];
        if (steps >= MaxSteps)
            id = text.EndsWith("…", StringComparison.Ordinal) ? textId : InternText(text + Separator + "…", steps + 1);
        else
            id = InternText(text + Separator + step, steps + 1);
        _extended[(textId, step)] = id;
        return id;
    }

    /// <summary>The text with <paramref name="suffix"/> added to its last step ("Owner._onChange" → "Owner._onChange targets"), or null for a bare root.</summary>
    public int? Suffix(int textId, string suffix) =>
        _steps[textId] == 0 || _texts[textId].EndsWith("…", StringComparison.Ordinal) ? null : InternText(_texts[textId] + suffix, _steps[textId]);

    public int Label(string label) => InternText(label, 0);

    public int StateOf(HolderState state)
    {
        if (!_stateIds.TryGetValue(state, out int id))
        {
            id = _stateCount++;
            if (id == _states.Length)
                Array.Resize(ref _states, id * 2);
            _states[id] = state;
            _stateIds[state] = id;
        }
        return id;
    }
}
