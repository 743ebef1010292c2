using System.Globalization;
using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// A change-stream resume token: <c>{_data: "82" + 16 hex digits of the sequence + 2 of the kind + 8 of the
/// server instance}</c>. Upper-case hex like the real server's, and the sequence comes first so tokens of
/// one server sort in commit order. The instance makes a token from another <see cref="MongoWireServer"/>
/// unknown here (code 280) instead of silently meaning some other point of this server's history.
/// </summary>
internal readonly record struct ResumeToken(long Sequence, bool IsInvalidate, uint Instance)
{
    private const string Prefix = "82";
    private const int DataLength = 2 + 16 + 2 + 8;

    public BsonDocument ToDocument() =>
        new("_data", string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{Sequence:X16}{(IsInvalidate ? 1 : 0):X2}{Instance:X8}"));

    /// <summary>Reads a token given as <paramref name="option"/>; anything this server never issues is BadValue.
    /// </summary>
    public static ResumeToken Parse(BsonValue value, string option)
    {
        if (value is not BsonDocument document
            || !document.TryGetValue("_data", out BsonValue data)
            || data is not BsonString { Value: { Length: DataLength } hex }
            || !hex.StartsWith(Prefix, StringComparison.Ordinal)
            || !long.TryParse(hex.AsSpan(2, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
                out long sequence)
            || !byte.TryParse(hex.AsSpan(18, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
                out byte kind)
            || kind > 1
            || !uint.TryParse(hex.AsSpan(20, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
                out uint instance)
            || sequence < 0)
        {
            throw MongoServerError.BadValue(
                $"Bad resume token in '{option}': {value.ToJson()} is not a resume token of the MongoDB wire "
                + "test server");
        }

        return new ResumeToken(sequence, kind == 1, instance);
    }
}
