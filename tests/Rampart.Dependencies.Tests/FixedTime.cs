namespace Rampart.Dependencies.Tests;

/// <summary>A clock stopped at 2026-11-22 06:00 UTC.</summary>
internal sealed class FixedTime : TimeProvider
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}
