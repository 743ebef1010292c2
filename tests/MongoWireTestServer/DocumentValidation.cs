using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// A collection's document validator (the query-operator form of MongoDB's <c>validator</c>
/// option) with its <c>validationLevel</c> and <c>validationAction</c>, as set by <c>create</c> and
/// <c>collMod</c>. Immutable: a command parses the new settings completely before storing them, so
/// a refused option changes nothing.
/// </summary>
internal sealed record DocumentValidation(BsonDocument Validator, string? Level, string? Action)
{
    public const string FailureMessage = "Document failed validation";

    /// <summary>No validator: what an implicitly created collection has.</summary>
    public static readonly DocumentValidation None = new([], null, null);

    /// <summary>
    /// The only options of <c>create</c>/<c>collMod</c> this server understands. Anything else a
    /// real server supports (capped, collation, timeseries, ...) is refused rather than ignored.
    /// </summary>
    private static readonly HashSet<string> Options = ["validator", "validationLevel", "validationAction"];

    /// <summary>Arguments any command may carry; they are not collection options.</summary>
    private static readonly HashSet<string> GenericArguments =
    [
        "$db", "lsid", "$readPreference", "$clusterTime", "writeConcern", "readConcern", "comment", "maxTimeMS",
        "apiVersion", "apiStrict", "apiDeprecationErrors",
    ];

    /// <summary>Validation is off without a validator, with an empty one, or with level "off".</summary>
    public bool IsEnforced => Validator.ElementCount > 0 && Level != "off";

    /// <summary>
    /// These settings with the options of a <c>create</c> or <c>collMod</c> command applied; the
    /// ones the command does not mention are kept, as collMod keeps them.
    /// </summary>
    public DocumentValidation With(BsonDocument command)
    {
        string commandName = command.GetElement(0).Name;
        DocumentValidation result = this;
        foreach (BsonElement option in command.Skip(1).Where(e => !GenericArguments.Contains(e.Name)))
        {
            result = option.Name switch
            {
                "validator" => result with { Validator = ParseValidator(commandName, option.Value) },
                "validationLevel" => result with { Level = ParseChoice(commandName, option, ["strict", "off"], ["moderate"]) },
                "validationAction" => result with { Action = ParseChoice(commandName, option, ["error"], ["warn", "errorAndLog"]) },
                _ => throw MongoServerError.BadValue(
                    $"{commandName} option '{option.Name}' is not supported by the MongoDB wire test server (supported: {string.Join(", ", Options)})"),
            };
        }

        return result;
    }

    /// <summary>The collection's <c>options</c> as listCollections shows them: only what was set.</summary>
    public BsonDocument ToOptions()
    {
        var options = new BsonDocument();
        if (Validator.ElementCount > 0)
        {
            options["validator"] = Validator.DeepClone();
        }

        if (Level is not null)
        {
            options["validationLevel"] = Level;
        }

        if (Action is not null)
        {
            options["validationAction"] = Action;
        }

        return options;
    }

    /// <summary>
    /// Refuses a document that is about to be stored and does not match the validator: code 121
    /// with the real server's <c>errInfo</c> ({failingDocumentId, details}), which becomes a
    /// <c>writeErrors</c> entry or, for findAndModify, part of the command error.
    /// </summary>
    public void Check(BsonDocument document)
    {
        if (!IsEnforced || QueryMatcher.Matches(document, Validator))
        {
            return;
        }

        throw new MongoServerError(ErrorCodes.DocumentValidationFailure, FailureMessage)
        {
            Details = new BsonDocument("errInfo", new BsonDocument
            {
                { "failingDocumentId", document["_id"] },
                { "details", Explain(document) },
            }),
        };
    }

    /// <summary>
    /// An abridged form of the real server's explanation: the top-level clauses that failed,
    /// each as <c>{operatorName, specifiedAs}</c>; several are wrapped in
    /// <c>{operatorName: "$and", clausesNotSatisfied: [{index, details}]}</c> as MongoDB does for
    /// an implicit AND. The real server adds reasons and considered values, which tests should
    /// not depend on.
    /// </summary>
    private BsonDocument Explain(BsonDocument document)
    {
        var failed = new BsonArray();
        for (int i = 0; i < Validator.ElementCount; i++)
        {
            BsonElement clause = Validator.GetElement(i);
            if (!QueryMatcher.Matches(document, new BsonDocument(clause)))
            {
                failed.Add(new BsonDocument { { "index", i }, { "details", DescribeClause(document, clause) } });
            }
        }

        return Validator.ElementCount == 1
            ? failed[0]["details"].AsBsonDocument
            : new BsonDocument { { "operatorName", "$and" }, { "clausesNotSatisfied", failed } };
    }

    private static BsonDocument DescribeClause(BsonDocument document, BsonElement clause)
    {
        string operatorName = clause.Name.StartsWith('$') ? clause.Name : "$eq";
        if (QueryMatcher.IsOperatorDocument(clause.Value))
        {
            // Name the first operator of the clause that fails on its own.
            operatorName = clause.Value.AsBsonDocument
                .First(op => !QueryMatcher.Matches(document, new BsonDocument(clause.Name, new BsonDocument(op))))
                .Name;
        }

        return new BsonDocument { { "operatorName", operatorName }, { "specifiedAs", new BsonDocument(clause.Name, clause.Value.DeepClone()) } };
    }

    /// <summary>The validator must be a document and a valid filter; checked when it is set, as MongoDB does.</summary>
    private static BsonDocument ParseValidator(string commandName, BsonValue value)
    {
        if (value is not BsonDocument validator)
        {
            throw new MongoServerError(ErrorCodes.TypeMismatch,
                $"BSON field '{commandName}.validator' is the wrong type '{value.BsonType}', expected type 'object'");
        }

        if (validator.Names.Any(n => n is "$jsonSchema" or "$expr"))
        {
            throw MongoServerError.BadValue("$jsonSchema and $expr validators are not supported by the MongoDB wire test server: use query operators");
        }

        QueryMatcher.Validate(validator);
        return validator.DeepClone().AsBsonDocument;
    }

    /// <summary>An enum option: MongoDB's own values this server lacks are refused with a clear message, unknown ones as MongoDB does.</summary>
    private static string ParseChoice(string commandName, BsonElement option, string[] supported, string[] unsupported)
    {
        string value = option.Value.IsString ? option.Value.AsString : "";
        if (supported.Contains(value))
        {
            return value;
        }

        throw MongoServerError.BadValue(unsupported.Contains(value)
            ? $"{option.Name} '{value}' is not supported by the MongoDB wire test server (supported: {string.Join(", ", supported)})"
            : $"Enumeration value '{option.Value}' for field '{commandName}.{option.Name}' is not a valid value.");
    }
}
