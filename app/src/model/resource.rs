//! The four resources with a list-and-editor page, by type rather than by string: each one's
//! URL path (the same segment as the API's), and how it is named on screen.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Packages,
    Configs,
    Devices,
    Agents,
}

impl Resource {
    pub const ALL: [Resource; 4] = [
        Resource::Packages,
        Resource::Configs,
        Resource::Devices,
        Resource::Agents,
    ];

    /// The path segment, in the app's URLs and the API's (`/api/v1/packages/`).
    pub fn segment(self) -> &'static str {
        match self {
            Resource::Packages => "packages",
            Resource::Configs => "configs",
            Resource::Devices => "devices",
            Resource::Agents => "agents",
        }
    }

    /// The page's path in the app.
    pub fn path(self) -> &'static str {
        match self {
            Resource::Packages => "/packages",
            Resource::Configs => "/configs",
            Resource::Devices => "/devices",
            Resource::Agents => "/agents",
        }
    }

    /// The API's list path.
    pub fn api_path(self) -> String {
        format!("/api/v1/{}/", self.segment())
    }

    /// One of them, in a sentence ("package", "lab agent").
    pub fn singular(self) -> &'static str {
        match self {
            Resource::Packages => "package",
            Resource::Configs => "config",
            Resource::Devices => "device",
            Resource::Agents => "agent",
        }
    }

    /// The page's heading.
    pub fn title(self) -> &'static str {
        match self {
            Resource::Packages => "Packages",
            Resource::Configs => "Configs",
            Resource::Devices => "Devices",
            Resource::Agents => "Lab agents",
        }
    }

    /// In the navigation.
    pub fn nav_label(self) -> &'static str {
        match self {
            Resource::Agents => "Agents",
            r => r.title(),
        }
    }

    /// The plural in a sentence ("No packages here yet.").
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Agents => "lab agents",
            r => r.segment(),
        }
    }

    pub fn from_segment(s: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.segment() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Resource::ALL {
            assert_eq!(Resource::from_segment(r.segment()), Some(r));
            assert_eq!(r.path(), format!("/{}", r.segment()));
            assert_eq!(r.api_path(), format!("/api/v1/{}/", r.segment()));
        }
        assert_eq!(Resource::from_segment("jobs"), None);
        assert_eq!(Resource::Agents.title(), "Lab agents");
        assert_eq!(Resource::Agents.nav_label(), "Agents");
    }
}
