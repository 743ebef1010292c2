namespace CacheSidecar.Store;

/// <summary>
/// The store no longer holds the changes after the resume token (MongoDB's oplog rolled past it,
/// error 286 ChangeStreamHistoryLost): some changes cannot be known, so the caller must treat
/// every cached key as changed and start afresh.
/// </summary>
internal sealed class ChangeHistoryLostException(string message, Exception inner) : Exception(message, inner);
