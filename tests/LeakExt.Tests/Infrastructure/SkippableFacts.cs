namespace LeakExt.Tests.Infrastructure;

/// <summary>A fact that reports itself skipped, with the reason, where what it needs is missing (the reason is null where it is not).</summary>
public abstract class FactUnlessAttribute : FactAttribute
{
    protected FactUnlessAttribute(string? missing)
    {
        if (missing is not null)
            Skip = missing;
    }
}

/// <inheritdoc cref="FactUnlessAttribute"/>
public abstract class TheoryUnlessAttribute : TheoryAttribute
{
    protected TheoryUnlessAttribute(string? missing)
    {
        if (missing is not null)
            Skip = missing;
    }
}

/// <summary>A fact that needs headless Chromium, skipped in one line where it is not installed.</summary>
public sealed class ChromiumFactAttribute() : FactUnlessAttribute(Chromium.Unavailable);
