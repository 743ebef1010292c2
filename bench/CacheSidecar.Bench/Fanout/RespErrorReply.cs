namespace CacheSidecar.Bench.Fanout;

/// <summary>A RESP error reply (<c>-ERR …</c>, <c>-MOVED …</c>), kept apart from a simple string reply.</summary>
internal sealed record RespErrorReply(string Message);
