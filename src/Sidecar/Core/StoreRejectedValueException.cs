namespace CacheSidecar.Core;

/// <summary>The store refused a value (a document it cannot hold); the caller's input is at fault.</summary>
/// <param name="message">For the caller: may quote the store's own words, which can quote the value.</param>
/// <param name="logReason">For the log: never quotes the value (MongoDB's duplicate-key message shows the
/// duplicated field's value).</param>
internal sealed class StoreRejectedValueException(
    string message,
    Exception? inner = null,
    string? logReason = null) : Exception(message, inner)
{
    public string LogReason { get; } = logReason ?? "The store refused the value.";
}
