//! A list's sort order as the API spells it (`package_name,-id`), and what clicking a column
//! header does to it.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

impl Dir {
    /// The value of `aria-sort` for a header sorted this way.
    pub fn aria(self) -> &'static str {
        match self {
            Dir::Asc => "ascending",
            Dir::Desc => "descending",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort(pub Vec<(String, Dir)>);

impl Sort {
    pub fn parse(s: &str) -> Sort {
        Sort(
            s.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty() && *f != "-")
                .map(|f| match f.strip_prefix('-') {
                    Some(name) => (name.to_string(), Dir::Desc),
                    None => (f.to_string(), Dir::Asc),
                })
                .collect(),
        )
    }

    pub fn to_param(&self) -> String {
        self.0
            .iter()
            .map(|(f, d)| match d {
                Dir::Asc => f.clone(),
                Dir::Desc => format!("-{f}"),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// How the list is sorted by `field`, if it is the primary key.
    pub fn primary(&self, field: &str) -> Option<Dir> {
        self.0.first().filter(|(f, _)| f == field).map(|(_, d)| *d)
    }

    /// Clicking a header: the primary key flips direction; another field becomes the only
    /// key, ascending.
    pub fn toggle(&self, field: &str) -> Sort {
        let dir = match self.primary(field) {
            Some(Dir::Asc) => Dir::Desc,
            Some(Dir::Desc) | None => Dir::Asc,
        };
        Sort(vec![(field.to_string(), dir)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let s = Sort::parse("package_name, -id");
        assert_eq!(s.to_param(), "package_name,-id");
        assert_eq!(s.primary("package_name"), Some(Dir::Asc));
        assert_eq!(s.primary("id"), None);
        assert_eq!(Sort::parse(",-,").to_param(), "");
    }

    #[test]
    fn toggles_like_a_table_header() {
        let s = Sort::parse("-id");
        assert_eq!(s.toggle("id").to_param(), "id");
        assert_eq!(s.toggle("id").toggle("id").to_param(), "-id");
        assert_eq!(s.toggle("status").to_param(), "status");
        assert_eq!(Dir::Desc.aria(), "descending");
    }
}
