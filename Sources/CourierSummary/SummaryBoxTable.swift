import Foundation

/// A titled two-column table rendered like go-pretty's light style, Markdown and HTML renderers, which upstream's
/// summary uses. Cells may hold several lines.
struct SummaryBoxTable {
    /// A row of cells or a horizontal separator.
    enum Row {
        case cells([String])
        case separator
    }

    let title: String
    let header: [String]?
    private(set) var rows: [Row] = []

    init(title: String, header: [String]? = nil) {
        self.title = title
        self.header = header
    }

    mutating func append(_ cells: [String]) {
        rows.append(.cells(cells))
    }

    mutating func appendSeparator() {
        rows.append(.separator)
    }

    func rendered(as format: SummaryTable.Format) -> String {
        switch format {
        case .text: text
        case .markdown: markdown
        case .html: html
        }
    }

    private var columnCount: Int {
        rows.reduce(header?.count ?? 0) { count, row in
            if case .cells(let cells) = row { max(count, cells.count) } else { count }
        }
    }

    /// The rows' cells padded to ``columnCount``; separators that end the table or repeat are dropped.
    private var normalizedRows: [Row] {
        var result: [Row] = []
        for row in rows {
            switch row {
            case .cells(let cells):
                result.append(.cells(cells + Array(repeating: "", count: columnCount - cells.count)))
            case .separator:
                if case .cells = result.last { result.append(.separator) }
            }
        }
        if case .separator = result.last { result.removeLast() }
        return result
    }

    // MARK: Text

    private var text: String {
        let columns = columnCount
        let normalized = normalizedRows
        var widths = Array(repeating: 0, count: columns)
        let allCells = (header.map { [$0] } ?? []) + normalized.compactMap { if case .cells(let cells) = $0 { cells } else { nil } }
        for cells in allCells {
            for (index, cell) in cells.enumerated() {
                widths[index] = max(widths[index], cell.split(separator: "\n", omittingEmptySubsequences: false).map(\.count).max() ?? 0)
            }
        }
        let innerWidth = widths.reduce(0) { $0 + $1 + 2 } + columns - 1
        if title.count + 2 > innerWidth, !widths.isEmpty { widths[columns - 1] += title.count + 2 - innerWidth }
        let totalWidth = max(innerWidth, title.count + 2)

        func rule(_ left: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: middle) + right
        }
        func lines(_ cells: [String]) -> [String] {
            let cellLines = cells.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
            let height = cellLines.map(\.count).max() ?? 1
            return (0..<height).map { lineIndex in
                let padded = cellLines.enumerated().map { column, lines in
                    let line = lineIndex < lines.count ? lines[lineIndex] : ""
                    return line + String(repeating: " ", count: widths[column] - line.count)
                }
                return "│ " + padded.joined(separator: " │ ") + " │"
            }
        }

        var output = [
            "┌" + String(repeating: "─", count: totalWidth) + "┐",
            "│ " + title + String(repeating: " ", count: totalWidth - 2 - title.count) + " │",
            rule("├", "┬", "┤"),
        ]
        if let header {
            output += lines(header.map { $0.uppercased() })
            output.append(rule("├", "┼", "┤"))
        }
        for row in normalized {
            switch row {
            case .cells(let cells): output += lines(cells)
            case .separator: output.append(rule("├", "┼", "┤"))
            }
        }
        output.append(rule("└", "┴", "┘"))
        return output.joined(separator: "\n")
    }

    // MARK: Markdown

    private var markdown: String {
        func line(_ cells: [String]) -> String {
            let escaped = cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: "<br/>") }
            return "| " + escaped.joined(separator: " | ") + " |"
        }
        var output = ["# " + title]
        if let header {
            output.append(line(header))
            output.append("|" + Array(repeating: " --- |", count: header.count).joined())
        }
        for case .cells(let cells) in normalizedRows {
            output.append(line(cells))
        }
        return output.joined(separator: "\n")
    }

    // MARK: HTML

    private var html: String {
        func escaped(_ text: String) -> String {
            guard !text.isEmpty else { return "&nbsp;" }
            return text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;")
                .replacingOccurrences(of: "\n", with: "<br/>")
        }
        func row(_ cells: [String], tag: String) -> [String] {
            ["  <tr>"] + cells.map { "    <\(tag)>\(escaped($0))</\(tag)>" } + ["  </tr>"]
        }
        var output = [
            "<table class=\"go-pretty-table\">",
            "  <caption class=\"caption\" style=\"caption-side: top;\">\(escaped(title))</caption>",
        ]
        if let header {
            output += ["  <thead>"] + row(header, tag: "th") + ["  </thead>"]
        }
        output.append("  <tbody>")
        for case .cells(let cells) in normalizedRows {
            output += row(cells, tag: "td")
        }
        output += ["  </tbody>", "</table>"]
        return output.joined(separator: "\n")
    }
}
