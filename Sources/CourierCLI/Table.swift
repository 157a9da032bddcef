/// A table drawn with box-drawing characters in go-pretty's "light" style, as Chainloop's CLI prints them:
///
/// ```
/// ┌──────────────────┐
/// │ Title            │
/// ├──────┬───────────┤
/// │ NAME │ VALUE     │
/// ├──────┼───────────┤
/// │ a    │ one       │
/// │      │ two lines │
/// └──────┴───────────┘
/// ```
///
/// Cells are padded by one space; a cell containing `\n` spans several lines; a title spans every column.
public struct Table: Sendable, Equatable {
    /// A row spanning every column above the header, when set.
    public var title: String?
    /// Column headers (UPPERCASE by convention), followed by a separator line.
    public var header: [String]?
    public private(set) var rows: [[String]]
    /// Indexes of the rows followed by a separator line (ignored after the last row).
    public private(set) var separatorsAfter: Set<Int>

    public init(title: String? = nil, header: [String]? = nil, rows: [[String]] = []) {
        self.title = title
        self.header = header
        self.rows = rows
        self.separatorsAfter = []
    }

    /// Appends a row, followed by a separator line when `separatorAfter` is set.
    public mutating func addRow(_ cells: [String], separatorAfter: Bool = false) {
        if separatorAfter {
            separatorsAfter.insert(rows.count)
        }
        rows.append(cells)
    }

    /// The table's lines, each ending with a newline.
    public func render() -> String {
        let columnCount = max(header?.count ?? 0, rows.map(\.count).max() ?? 0)
        guard columnCount > 0 else { return "" }
        var widths = Array(repeating: 0, count: columnCount)
        for row in ([header].compactMap { $0 } + rows) {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.split(separator: "\n", omittingEmptySubsequences: false).map(\.count).max() ?? 0)
            }
        }
        if let title {
            let innerWidth = widths.reduce(0, +) + 3 * columnCount - 1
            widths[columnCount - 1] += max(0, title.count + 2 - innerWidth)
        }

        var lines: [String] = []
        if let title {
            let innerWidth = widths.reduce(0, +) + 3 * columnCount - 1
            lines.append("┌" + String(repeating: "─", count: innerWidth) + "┐")
            lines.append("│ " + padded(title, to: innerWidth - 2) + " │")
            lines.append(border(widths, left: "├", middle: "┬", right: "┤"))
        } else {
            lines.append(border(widths, left: "┌", middle: "┬", right: "┐"))
        }
        if let header {
            lines += cellLines(header, widths: widths)
            lines.append(border(widths, left: "├", middle: "┼", right: "┤"))
        }
        for (index, row) in rows.enumerated() {
            lines += cellLines(row, widths: widths)
            if separatorsAfter.contains(index) && index < rows.count - 1 {
                lines.append(border(widths, left: "├", middle: "┼", right: "┤"))
            }
        }
        lines.append(border(widths, left: "└", middle: "┴", right: "┘"))
        return lines.map { $0 + "\n" }.joined()
    }

    private func border(_ widths: [Int], left: String, middle: String, right: String) -> String {
        left + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: middle) + right
    }

    /// The printed lines of one row: as many as its tallest cell.
    private func cellLines(_ row: [String], widths: [Int]) -> [String] {
        let cells = widths.indices.map { column in
            column < row.count ? row[column].split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : [""]
        }
        let height = cells.map(\.count).max() ?? 1
        return (0..<height).map { line in
            let parts = widths.indices.map { column in
                padded(line < cells[column].count ? cells[column][line] : "", to: widths[column])
            }
            return "│ " + parts.joined(separator: " │ ") + " │"
        }
    }

    private func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
