namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// The MongoDB error codes this test server produces. The numbers and names are the real server's,
/// because the driver maps some of them to behaviour (11000 becomes
/// <c>ServerErrorCategory.DuplicateKey</c>, 26 on <c>drop</c> is swallowed, ...).
/// </summary>
internal static class ErrorCodes
{
    public const int InternalError = 1;
    public const int BadValue = 2;
    public const int TypeMismatch = 14;
    public const int AuthenticationFailed = 18;
    public const int NamespaceNotFound = 26;
    public const int PathNotViable = 28;
    public const int CursorNotFound = 43;
    public const int NamespaceExists = 48;
    public const int DollarPrefixedFieldName = 52;
    public const int InvalidIdField = 53;
    public const int CommandNotFound = 59;
    public const int ImmutableField = 66;
    public const int CannotCreateIndex = 67;
    public const int DocumentValidationFailure = 121;
    public const int InvalidIndexSpecificationOption = 197;
    public const int CursorKilled = 237;
    public const int InvalidResumeToken = 260;
    public const int ChangeStreamFatalError = 280;
    public const int ChangeStreamHistoryLost = 286;
    public const int MechanismUnavailable = 334;
    public const int DuplicateKey = 11000;

    public static string Name(int code) => code switch
    {
        InternalError => "InternalError",
        BadValue => "BadValue",
        TypeMismatch => "TypeMismatch",
        AuthenticationFailed => "AuthenticationFailed",
        NamespaceNotFound => "NamespaceNotFound",
        PathNotViable => "PathNotViable",
        CursorNotFound => "CursorNotFound",
        NamespaceExists => "NamespaceExists",
        DollarPrefixedFieldName => "DollarPrefixedFieldName",
        InvalidIdField => "InvalidIdField",
        CommandNotFound => "CommandNotFound",
        ImmutableField => "ImmutableField",
        CannotCreateIndex => "CannotCreateIndex",
        DocumentValidationFailure => "DocumentValidationFailure",
        InvalidIndexSpecificationOption => "InvalidIndexSpecificationOption",
        CursorKilled => "CursorKilled",
        InvalidResumeToken => "InvalidResumeToken",
        ChangeStreamFatalError => "ChangeStreamFatalError",
        ChangeStreamHistoryLost => "ChangeStreamHistoryLost",
        MechanismUnavailable => "MechanismUnavailable",
        DuplicateKey => "DuplicateKey",
        _ => "UnknownError",
    };
}

/// <summary>
/// Thrown anywhere below the dispatcher to abort one command (or one write statement) with a
/// MongoDB error. The dispatcher turns it into <c>{ok: 0, errmsg, code, codeName}</c> or into a
/// <c>writeErrors</c> entry, so parsing code can simply throw.
/// </summary>
internal sealed class MongoServerError : Exception
{
    public MongoServerError(int code, string message)
        : base(message)
    {
        Code = code;
    }

    public int Code { get; }

    /// <summary>Extra fields for the reply, e.g. <c>keyPattern</c>/<c>keyValue</c> on duplicate keys.</summary>
    public MongoDB.Bson.BsonDocument? Details { get; init; }

    public static MongoServerError BadValue(string message) => new(ErrorCodes.BadValue, message);
}
