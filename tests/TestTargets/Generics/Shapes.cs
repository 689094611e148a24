namespace Generics;

// The generic shapes a service's heap holds (compiled into the tests too, which assert on them).
public sealed class Pair<TFirst, TSecond>
{
    public TFirst? First;
    public TSecond? Second;
}

public sealed class Triple<TA, TB, TC>
{
    public TA? A;
    public TB? B;
    public TC? C;
}

public class Outer<T>
{
    /// <summary>Nested in a generic type, not generic itself: its arguments are Outer's.</summary>
    public sealed class Plain
    {
        public T? Value;
    }

    /// <summary>Generic inside a generic: "Outer&lt;A&gt;+Inner&lt;B&gt;", whose arguments are not one list.</summary>
    public sealed class Inner<TInner>
    {
        public T? Outer;
        public TInner? Value;
    }
}

public class Base<TKey, TValue>
{
    public TKey? Key;
    public TValue? Value;
}

/// <summary>Two instantiation dictionaries: Base's and its own.</summary>
public sealed class Derived<T> : Base<int, T>
{
    public T? Extra;
}

public struct Slot<T>
{
    public T Value;
    public int Version;
}
