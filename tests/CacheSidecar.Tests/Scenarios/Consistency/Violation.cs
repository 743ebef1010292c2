namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>One broken rule, with the operations that show it.</summary>
internal sealed record Violation(CheckRule Rule, string Message)
{
    public override string ToString() => $"[{Rule}] {Message}";
}
