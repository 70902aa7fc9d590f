// Exports of report results: CSV (formula-injection safe), XLSX (libxlsxwriter), PDF (libharu).
#include "Reporting.h"

#include <Poco/Logger.h>
#include <hpdf.h>
#include <xlsxwriter.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iconv.h>
#include <iterator>
#include <set>
#include <sstream>
#include <unistd.h>

namespace atrium::reports {

namespace {

std::string localizedText(const Json& label, const std::string& locale, const std::string& fallback) {
    if (label.is_string()) return label.get<std::string>();
    if (label.is_object()) {
        const auto key = locale.rfind("zh", 0) == 0 ? "zh-CN" : "en";
        if (label.contains(key) && label[key].is_string()) return label[key].get<std::string>();
        if (label.contains("en") && label["en"].is_string()) return label["en"].get<std::string>();
    }
    return fallback;
}

std::string cellText(const Json& v) {
    if (v.is_null()) return {};
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_number()) {
        std::ostringstream o;
        o.precision(15);
        o << v.get<double>();
        return o.str();
    }
    return v.dump();
}

std::string tempPath(const char* suffix) {
    char tmpl[] = "/tmp/atrium-export-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("cannot create a temporary file for the export");
    close(fd);
    std::remove(tmpl);
    return std::string(tmpl) + suffix;
}

std::string readAndRemove(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(path.c_str());
    return data;
}

/// UTF-8 → GBK for the PDF's Chinese font; characters GBK lacks become '?'.
std::string toGbk(const std::string& utf8) {
    iconv_t cd = iconv_open("GBK//TRANSLIT", "UTF-8");
    if (cd == reinterpret_cast<iconv_t>(-1)) return utf8;
    std::string out;
    out.resize(utf8.size() * 2 + 8);
    char* in = const_cast<char*>(utf8.data());
    std::size_t inLeft = utf8.size();
    char* o = out.data();
    std::size_t outLeft = out.size();
    while (inLeft > 0) {
        if (iconv(cd, &in, &inLeft, &o, &outLeft) == static_cast<std::size_t>(-1)) {
            if (outLeft < 1) break;
            // Skip one undecodable character (UTF-8 sequence) and write '?'.
            *o++ = '?';
            --outLeft;
            ++in;
            --inLeft;
            while (inLeft > 0 && (static_cast<unsigned char>(*in) & 0xC0) == 0x80) {
                ++in;
                --inLeft;
            }
        }
    }
    iconv_close(cd);
    out.resize(out.size() - outLeft);
    return out;
}

void pdfError(HPDF_STATUS error, HPDF_STATUS detail, void*) {
    throw std::runtime_error("PDF error " + std::to_string(error) + "/" + std::to_string(detail));
}

/// The TrueType font embedded (as a subset) in PDFs: ATRIUM_PDF_FONT, else the first Chinese
/// font of a known Debian package that is installed; "" when none ("none" turns embedding off).
std::string pdfFontPath() {
    if (const char* env = std::getenv("ATRIUM_PDF_FONT"); env && *env) {
        const std::string v = env;
        if (v == "none") return {};
        if (std::filesystem::is_regular_file(v)) return v;
        Poco::Logger::get("atrium.reports").warning("ATRIUM_PDF_FONT=%s is not a readable font file; looking for an installed one", v);
    }
    // Only fonts that libharu 2.3 subsets whole: it drops the components of composite glyphs, so
    // WenQuanYi Micro Hei and Droid Sans Fallback lose strokes of many characters (销 prints 肖).
    for (const char* candidate : {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",     // fonts-wqy-zenhei
                                  "/usr/share/fonts/truetype/arphic/uming.ttc"})       // fonts-arphic-uming
        if (std::filesystem::is_regular_file(candidate)) return candidate;
    return {};
}

/// `text` cut to at most `bytes` bytes without splitting a UTF-8 character.
std::string utf8Prefix(const std::string& text, std::size_t bytes) {
    if (bytes >= text.size()) return text;
    while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
    return text.substr(0, bytes);
}

} // namespace

Table tableFromResult(const Json& result, const std::string& title, const std::string& locale) {
    Table t;
    t.title = title;
    for (const auto& c : result.value("columns", Json::array())) {
        t.headers.push_back(localizedText(c.value("label", Json()), locale, c.value("name", std::string())));
        t.types.push_back(c.value("type", std::string("text")));
    }
    for (const auto& r : result.value("rows", Json::array())) {
        std::vector<Json> row;
        for (const auto& v : r) row.push_back(v);
        t.rows.push_back(std::move(row));
    }
    return t;
}

std::string csvCell(const std::string& text) {
    std::string s = text;
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')) s = "'" + s;
    if (s.find_first_of(",\"\r\n") != std::string::npos) {
        std::string q = "\"";
        for (char c : s) {
            if (c == '"') q += '"';
            q += c;
        }
        return q + "\"";
    }
    return s;
}

std::string toCsv(const Table& t) {
    std::string out = "\xEF\xBB\xBF";
    for (std::size_t i = 0; i < t.headers.size(); ++i) out += (i ? "," : "") + csvCell(t.headers[i]);
    out += "\r\n";
    for (const auto& r : t.rows) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (i) out += ',';
            // Numbers are written as numbers; only text can carry a formula.
            out += r[i].is_number() ? cellText(r[i]) : csvCell(cellText(r[i]));
        }
        out += "\r\n";
    }
    return out;
}

std::string toXlsx(const std::vector<Table>& tables) {
    const auto path = tempPath(".xlsx");
    lxw_workbook* wb = workbook_new(path.c_str());
    if (!wb) throw std::runtime_error("cannot create the workbook");
    lxw_format* bold = workbook_add_format(wb);
    format_set_bold(bold);
    lxw_format* money = workbook_add_format(wb);
    format_set_num_format(money, "#,##0.00");
    lxw_format* pct = workbook_add_format(wb);
    format_set_num_format(pct, "0.0%");
    std::set<std::string> used;
    int n = 0;
    for (const auto& t : tables) {
        ++n;
        // Sheet names: ≤ 31 characters, none of []:*?/\ , unique.
        std::string name;
        for (char c : t.title)
            if (std::string("[]:*?/\\").find(c) == std::string::npos) name += c;
        if (name.size() > 28) name = name.substr(0, 28);
        while (!name.empty() && (static_cast<unsigned char>(name.back()) & 0xC0) == 0x80) name.pop_back(); // no cut UTF-8
        if (!name.empty() && (static_cast<unsigned char>(name.back()) & 0xC0) == 0xC0) name.pop_back();
        if (name.empty() || used.count(name)) name = "Sheet" + std::to_string(n);
        used.insert(name);
        lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
        for (std::size_t c = 0; c < t.headers.size(); ++c) {
            worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), t.headers[c].c_str(), bold);
            worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), 16, nullptr);
        }
        lxw_row_t row = 1;
        for (const auto& r : t.rows) {
            for (std::size_t c = 0; c < r.size(); ++c) {
                const auto& v = r[c];
                const auto type = c < t.types.size() ? t.types[c] : "text";
                if (v.is_null()) continue;
                if (v.is_number()) {
                    lxw_format* f = type == "money" || type == "currency" ? money : type == "percent" ? pct : nullptr;
                    worksheet_write_number(ws, row, static_cast<lxw_col_t>(c), v.get<double>(), f);
                } else {
                    // Strings are stored as strings: a spreadsheet never evaluates them as formulas.
                    worksheet_write_string(ws, row, static_cast<lxw_col_t>(c), cellText(v).c_str(), nullptr);
                }
            }
            ++row;
        }
    }
    if (tables.empty()) workbook_add_worksheet(wb, "Sheet1");
    if (workbook_close(wb) != LXW_NO_ERROR) {
        std::remove(path.c_str());
        throw std::runtime_error("cannot write the workbook");
    }
    return readAndRemove(path);
}

std::string toPdf(const std::vector<Table>& tables, const std::string& heading) {
    constexpr int kRowsPerPage = 30;
    HPDF_Doc pdf = HPDF_New(pdfError, nullptr);
    if (!pdf) throw std::runtime_error("cannot create the PDF");
    std::string out;
    try {
        HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
        // An installed Chinese TrueType font is embedded as a subset of the glyphs used (about
        // 0.5 MB: libharu keeps the font's full metric and mapping tables), with UTF-8 text and a ToUnicode map, so the file prints and copies the same on
        // every viewer. Without one, SimSun / SimHei with GBK are referenced and the viewer
        // substitutes a CJK font it has (characters outside GBK print as '?').
        HPDF_Font font = nullptr, bold = nullptr;
        bool utf8 = false;
        if (const auto path = pdfFontPath(); !path.empty()) {
            HPDF_UseUTFEncodings(pdf);
            HPDF_SetCurrentEncoder(pdf, "UTF-8");
            const bool collection = path.size() > 4 && path.compare(path.size() - 4, 4, ".ttc") == 0;
            const char* name = collection ? HPDF_LoadTTFontFromFile2(pdf, path.c_str(), 0, HPDF_TRUE) : HPDF_LoadTTFontFromFile(pdf, path.c_str(), HPDF_TRUE);
            font = bold = HPDF_GetFont(pdf, name, "UTF-8");
            utf8 = true;
        } else {
            HPDF_UseCNSFonts(pdf);
            HPDF_UseCNSEncodings(pdf);
            font = HPDF_GetFont(pdf, "SimSun", "GBK-EUC-H");
            bold = HPDF_GetFont(pdf, "SimHei", "GBK-EUC-H");
        }
        const auto encode = [utf8](const std::string& text) { return utf8 ? text : toGbk(text); };
        const std::vector<Table> none = {Table{heading, {}, {}, {}}};
        const auto& list = tables.empty() ? none : tables;
        for (const auto& t : list) {
            const std::size_t pages = std::max<std::size_t>(1, (t.rows.size() + kRowsPerPage - 1) / kRowsPerPage);
            for (std::size_t pg = 0; pg < pages; ++pg) {
                HPDF_Page page = HPDF_AddPage(pdf);
                HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_LANDSCAPE);
                const float W = HPDF_Page_GetWidth(page), H = HPDF_Page_GetHeight(page);
                const float margin = 36;
                float y = H - margin;
                HPDF_Page_BeginText(page);
                HPDF_Page_SetFontAndSize(page, bold, 14);
                HPDF_Page_TextOut(page, margin, y - 14, encode(heading + (t.title.empty() || t.title == heading ? "" : " — " + t.title)).c_str());
                HPDF_Page_SetFontAndSize(page, font, 8);
                const auto footer = std::to_string(pg + 1) + " / " + std::to_string(pages);
                HPDF_Page_TextOut(page, W - margin - 40, margin - 16, footer.c_str());
                HPDF_Page_EndText(page);
                y -= 34;
                const std::size_t cols = std::max<std::size_t>(1, t.headers.size());
                const float colW = (W - 2 * margin) / static_cast<float>(cols);
                auto drawRow = [&](const std::vector<std::string>& cells, HPDF_Font f, float yy) {
                    HPDF_Page_BeginText(page);
                    HPDF_Page_SetFontAndSize(page, f, 9);
                    for (std::size_t c = 0; c < cells.size() && c < cols; ++c) {
                        auto text = encode(cells[c]);
                        // Fit the cell: cut at what the width allows (whole characters).
                        HPDF_REAL realWidth = 0;
                        const auto fit = HPDF_Page_MeasureText(page, text.c_str(), colW - 4, HPDF_FALSE, &realWidth);
                        if (fit < text.size()) text = utf8 ? utf8Prefix(text, fit) : text.substr(0, fit);
                        HPDF_Page_TextOut(page, margin + colW * static_cast<float>(c) + 2, yy, text.c_str());
                    }
                    HPDF_Page_EndText(page);
                };
                drawRow(t.headers, bold, y);
                HPDF_Page_SetLineWidth(page, 0.5);
                HPDF_Page_MoveTo(page, margin, y - 4);
                HPDF_Page_LineTo(page, W - margin, y - 4);
                HPDF_Page_Stroke(page);
                y -= 16;
                for (std::size_t r = pg * kRowsPerPage; r < std::min(t.rows.size(), (pg + 1) * kRowsPerPage); ++r) {
                    std::vector<std::string> cells;
                    for (const auto& v : t.rows[r]) cells.push_back(v.is_number() && !v.is_number_integer() ? [&] {
                        char b[64];
                        std::snprintf(b, sizeof b, "%.2f", v.get<double>());
                        return std::string(b);
                    }() : cellText(v));
                    drawRow(cells, font, y);
                    y -= 15;
                }
            }
        }
        HPDF_SaveToStream(pdf);
        HPDF_UINT32 size = HPDF_GetStreamSize(pdf);
        out.resize(size);
        HPDF_UINT32 len = size;
        HPDF_ReadFromStream(pdf, reinterpret_cast<HPDF_BYTE*>(out.data()), &len);
        out.resize(len);
    } catch (...) {
        HPDF_Free(pdf);
        throw;
    }
    HPDF_Free(pdf);
    return out;
}

void sendExport(http::Response& res, const std::string& format, const std::vector<Table>& tables, const std::string& filename) {
    std::string safe;
    for (char c : filename) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
    if (safe.empty()) safe = "report";
    if (format == "csv") {
        std::string body;
        for (std::size_t i = 0; i < tables.size(); ++i) body += (i ? "\r\n" : "") + (i ? toCsv(tables[i]).substr(3) : toCsv(tables[i]));
        res.status = 200;
        res.contentType = "text/csv; charset=utf-8";
        res.body = body;
        res.setHeader("Content-Disposition", "attachment; filename=\"" + safe + ".csv\"");
    } else if (format == "xlsx") {
        res.status = 200;
        res.contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        res.body = toXlsx(tables);
        res.setHeader("Content-Disposition", "attachment; filename=\"" + safe + ".xlsx\"");
    } else if (format == "pdf") {
        res.status = 200;
        res.contentType = "application/pdf";
        res.body = toPdf(tables, tables.empty() ? safe : tables.front().title);
        res.setHeader("Content-Disposition", "attachment; filename=\"" + safe + ".pdf\"");
    } else {
        throw badRequest("The export format is csv, xlsx or pdf.");
    }
}

} // namespace atrium::reports
