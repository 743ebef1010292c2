using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// The <c>updateDescription</c> of an <c>update</c> change event. Like the real server it follows the
/// update operators, not a document diff: <c>$set: {payload: {...}}</c> reports <c>payload</c> whole,
/// <c>$set: {"a.b": 1}</c> reports <c>a.b</c> when <c>a</c> existed and <c>a</c> when it was created.
/// </summary>
internal static class UpdateDescriptions
{
    public static BsonDocument Describe(BsonDocument before, BsonDocument after, BsonDocument update)
    {
        var updated = new BsonDocument();
        var removed = new List<string>();
        foreach (BsonElement op in update)
        {
            foreach (BsonElement field in op.Value.AsBsonDocument)
            {
                switch (op.Name)
                {
                    case "$set":
                    case "$inc":
                        string path = CreatedPath(before, field.Name);
                        if (ValueAt(after, path) is { } value
                            && (ValueAt(before, path) is not { } old || !SameBytes(old, value)))
                        {
                            updated[path] = value.DeepClone();
                            removed.Remove(path);
                        }

                        break;
                    case "$unset":
                        if (ValueAt(before, field.Name) is not null)
                        {
                            // $unset of an array element stores null there, which the server reports as an update.
                            if (ValueAt(after, field.Name) is { } kept)
                            {
                                updated[field.Name] = kept.DeepClone();
                            }
                            else if (!removed.Contains(field.Name))
                            {
                                removed.Add(field.Name);
                            }
                        }

                        break;
                }
            }
        }

        return new BsonDocument
        {
            { "updatedFields", updated },
            { "removedFields", new BsonArray(removed) },
            { "truncatedArrays", new BsonArray() }, // no supported operator shortens an array
        };
    }

    /// <summary>
    /// The part of <paramref name="path"/> that already existed plus the first segment that did not,
    /// i.e. what the update created; the whole path when everything existed. A numeric segment past
    /// the end of an array (which <c>$set</c> pads with nulls) reports the array itself.
    /// </summary>
    private static string CreatedPath(BsonDocument before, string path)
    {
        string[] parts = path.Split('.');
        BsonValue current = before;
        for (int i = 0; i < parts.Length; i++)
        {
            BsonValue? next = Child(current, parts[i]);
            if (next is null)
            {
                int length = current is BsonArray && i > 0 ? i : i + 1;
                return string.Join('.', parts, 0, length);
            }

            current = next;
        }

        return path;
    }

    private static BsonValue? ValueAt(BsonDocument document, string path)
    {
        BsonValue? current = document;
        foreach (string part in path.Split('.'))
        {
            current = current is null ? null : Child(current, part);
        }

        return current;
    }

    private static BsonValue? Child(BsonValue parent, string name) => parent switch
    {
        BsonDocument document => document.GetValue(name, null),
        BsonArray array when int.TryParse(name, out int index) && index >= 0 && index < array.Count => array[index],
        _ => null,
    };

    private static bool SameBytes(BsonValue a, BsonValue b) =>
        new BsonDocument("v", a).ToBson().AsSpan().SequenceEqual(new BsonDocument("v", b).ToBson());
}
