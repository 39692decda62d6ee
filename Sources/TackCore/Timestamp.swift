import Foundation

/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-30T03:12:45.123Z`), what the API and the JSON logs write.
///
/// Written by hand because Foundation's ISO8601DateFormatter costs more to make than a whole page of attachments
/// costs to read, and a shared one is not safe to use from several threads on every platform.
public enum Timestamp {
    public static func rfc3339(_ date: Date) -> String {
        // Truncated to the millisecond, except that an instant stored in milliseconds (every date in the catalog)
        // comes back as that millisecond, not the one before it, whatever the binary fraction's error.
        // Years 0000 to 9999 are what RFC 3339 can write; anything outside (a corrupt value) is clamped, not a crash.
        let raw = date.timeIntervalSince1970 * 1000
        let scaled = raw.isNaN ? 0 : min(max(raw, -62_167_219_200_000), 253_402_300_799_999)
        let nearest = scaled.rounded()
        let millis = Int64(abs(scaled - nearest) < 0.001 ? nearest : scaled.rounded(.down))
        let (days, dayMillis) = millis.quotientAndRemainder(dividingBy: 86_400_000)
        // A negative remainder belongs to the day before.
        let day = dayMillis < 0 ? days - 1 : days
        let inDay = dayMillis < 0 ? dayMillis + 86_400_000 : dayMillis
        let (year, month, dayOfMonth) = civil(fromDays: day)
        var text = ""
        text.reserveCapacity(24)
        func pad(_ value: Int64, _ width: Int) {
            let digits = String(value)
            if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
            text += digits
        }
        pad(year, 4); text += "-"; pad(month, 2); text += "-"; pad(dayOfMonth, 2)
        text += "T"
        pad(inDay / 3_600_000, 2); text += ":"; pad(inDay / 60_000 % 60, 2); text += ":"; pad(inDay / 1000 % 60, 2)
        text += "."; pad(inDay % 1000, 3); text += "Z"
        return text
    }

    /// Year, month and day of the `days`-th day since 1970-01-01 in the proleptic Gregorian calendar
    /// (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
