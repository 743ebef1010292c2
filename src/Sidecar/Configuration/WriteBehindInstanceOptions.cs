namespace CacheSidecar.Configuration;

public sealed class WriteBehindInstanceOptions
{
    /// <summary>Whether this instance flushes write-behind backlogs to the store. An instance with
    /// false still accepts write-behind Puts; other instances flush them.</summary>
    public bool RunFlushers { get; set; } = true;

    /// <summary>This instance's consumer name in the flushers' consumer group. Default
    /// <c>&lt;host name&gt;-&lt;process id&gt;</c>; set it to the pod name so a restarted container
    /// resumes its own unfinished entries at once instead of after <c>ReclaimAfter</c>.</summary>
    public string? ConsumerName { get; set; }
}
