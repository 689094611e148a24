namespace LeakExt.Core;

/// <summary>Progress of a long walk: a phase name and how far it got (Total 0 = unknown).</summary>
public readonly record struct WalkProgress(string Phase, long Done, long Total);
