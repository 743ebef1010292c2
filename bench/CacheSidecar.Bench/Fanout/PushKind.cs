namespace CacheSidecar.Bench.Fanout;

/// <summary>What a pub/sub push frame is: a message, a subscription confirmation, or anything else.</summary>
internal enum PushKind
{
    Other,
    Message,
    Subscribed,
}
